using System;
using System.Buffers;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace SpliceModule.Transfer;

/// <summary>-Verify: SHA-256 of source and copy, read back after the copy through the descriptors
/// (from offset 0, whatever their positions), compared before the copy replaces the destination.</summary>
internal static class ContentVerifier
{
    private const int BufferSize = 1024 * 1024;

    /// <summary>Returns the common hash, or throws <see cref="CopyVerificationException"/>.</summary>
    public static string Verify(SafeFileHandle source, string sourcePath, SafeFileHandle copy, string destinationPath, CancellationToken cancellation)
    {
        string sourceHash = Hash(source, cancellation);
        string copyHash = Hash(copy, cancellation);
        if (!string.Equals(sourceHash, copyHash, StringComparison.Ordinal))
        {
            throw new CopyVerificationException(
                $"The copy of '{sourcePath}' to '{destinationPath}' does not match its source (SHA-256 {copyHash} instead of {sourceHash}); the destination was left as it was.",
                sourceHash,
                copyHash);
        }

        return sourceHash;
    }

    internal static string Hash(SafeFileHandle handle, CancellationToken cancellation)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                sha.AppendData(buffer, 0, read);
                offset += read;
            }

            return Convert.ToHexString(sha.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
