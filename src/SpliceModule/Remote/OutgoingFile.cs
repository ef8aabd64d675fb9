using System;
using System.Diagnostics;
using System.IO;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// The sending end of one file: opened once by <see cref="SourceFile.OpenNamed"/> (never blocking,
/// a FIFO or directory refused), announced by its <see cref="RemoteFileHeader"/>, then sent by
/// one of the transports: only its data extents when it is sparse (<see cref="DataExtents"/>).
/// A source whose size is not its length (/proc, /sys) is sent from a <see cref="SourceSnapshot"/>.
/// Exactly the announced bytes are sent; a source that shrank meanwhile leaves the receiver short,
/// which fails the copy there. Every read gives its offset (pread, sendfile with an offset), so
/// several hosts' senders may share one open file (a fan-out reads and hashes it once).
/// </summary>
internal sealed class OutgoingFile : IDisposable
{
    /// <summary>Bytes one Session chunk carries: large enough that the session's per-message cost
    /// is small, small enough that the window of them in flight (SessionWindow) drains quickly
    /// on a slow link when the copy is stopped.</summary>
    public const int SessionChunk = 256 * 1024;

    private readonly SafeFileHandle _source;
    private readonly long _started = Stopwatch.GetTimestamp();

    public OutgoingFile(string sourcePath, bool verify, System.Threading.CancellationToken cancellation)
    {
        var (source, status) = SourceFile.OpenNamed(sourcePath);
        _source = source;
        try
        {
            if (status.Kind != FileKind.File)
            {
                throw new SpliceRefusedException(status.Kind == FileKind.Directory ? Refusal.SourceIsDirectory : Refusal.UnsupportedInput, $"'{sourcePath}' is not a regular file; a remote copy sends regular files{(status.Kind == FileKind.Directory ? " (use -Recurse for a directory)" : string.Empty)}.");
            }

            // A /proc or /sys file goes as what one read of it to its end gave, of that length.
            bool taken = SourceSnapshot.TakeIfNeeded(TrueSizeDevices.Of(source, sourcePath), ref _source, ref status, sourcePath, cancellation);

            Header = RemoteFileHeader.For(sourcePath, status) with
            {
                Extents = taken ? null : DataExtents.Of(_source, status, sourcePath),
                Sha256 = verify ? ContentVerifier.Hash(_source, cancellation) : null,
            };
        }
        catch
        {
            _source.Dispose();
            throw;
        }
    }

    public RemoteFileHeader Header { get; }

    public CopyMethod Method { get; private set; } = CopyMethod.ReadWrite;

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>The pieces the data stream carries, all of them or one stripe's.</summary>
    public System.Collections.Generic.IEnumerable<(long Offset, long Length)> Pieces(int stripe = 0, int stripes = 1) =>
        stripes == 1 ? DataExtents.Pieces(Header.Extents, Header.Size) : DataExtents.Stripe(Header.Extents, Header.Size, stripe, stripes);

    /// <summary>Plain: sendfile from the page cache straight into the socket, extent by extent.</summary>
    public long SendTo(SocketStream stream, Action<long>? progress)
    {
        long sent = 0;
        foreach (var (offset, length) in Pieces())
        {
            long before = sent;
            var transfer = new ByteTransfer(_source, FileKind.File, Header.SourcePath, stream.Socket.SafeHandle, FileKind.Socket, stream.Display)
            {
                SourceSize = Header.Size,
                Limit = length,
                SourceOffset = offset,
                Wait = stream.Wait,
                Progress = progress is null ? null : bytes => progress(before + bytes),
            };
            Method = CopyEngine.Run(transfer, CopyMethod.SendFile);
            sent += transfer.Copied;
            if (transfer.Copied < length)
            {
                break;
            }
        }

        return sent;
    }

    /// <summary>The announced bytes in pieces of at most <paramref name="size"/>, read by pread,
    /// extent after extent; the piece is reused, so each must be consumed before the next is asked for.</summary>
    public System.Collections.Generic.IEnumerable<ReadOnlyMemory<byte>> Chunks(int size, System.Threading.CancellationToken cancellation, System.Collections.Generic.IEnumerable<(long Offset, long Length)>? pieces = null)
    {
        byte[] buffer = new byte[size];
        foreach (var (start, length) in pieces ?? Pieces())
        {
            long offset = start;
            long end = start + length;
            while (offset < end)
            {
                cancellation.ThrowIfCancellationRequested();
                int want = (int)Math.Min(size, end - offset);
                int read = (int)Sys.Read(_source, buffer.AsSpan(0, want), offset, Header.SourcePath);
                if (read == 0)
                {
                    throw new IOException($"'{Header.SourcePath}' shrank while it was sent (at {offset} of {Header.Size} bytes); the far side keeps its old destination.");
                }

                offset += read;
                yield return buffer.AsMemory(0, read);
            }
        }
    }

    public void Dispose() => _source.Dispose();
}
