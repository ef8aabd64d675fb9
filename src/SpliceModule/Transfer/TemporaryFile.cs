using System;
using System.IO;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// A new file that takes a destination's name only when complete: created O_EXCL|O_NOFOLLOW with
/// mode 0600 under a hidden name in the destination's own directory (so the rename stays on one
/// file system), renamed over the destination by <see cref="Commit"/>, and removed when disposed
/// before that. Copy-SpliceItem, Invoke-Tee and Write-VmSplice write every new file this way, so an
/// interrupted copy never leaves a half-written destination.
/// </summary>
internal sealed class TemporaryFile : IDisposable
{
    private const int PrivateMode = 0b110_000_000;
    private bool _committed;

    private TemporaryFile(string path, string destinationPath, SafeFileHandle handle)
    {
        Path = path;
        DestinationPath = destinationPath;
        Handle = handle;
    }

    public string Path { get; }

    public string DestinationPath { get; }

    public SafeFileHandle Handle { get; }

    /// <param name="readable">Open it for reading too (to verify what was written).</param>
    public static TemporaryFile Beside(string destinationPath, bool readable = false)
    {
        string path = PathFor(destinationPath);
        int access = readable ? Flags.O_RDWR : Flags.O_WRONLY;
        return new TemporaryFile(path, destinationPath, Sys.Open(path, access | Flags.O_CREAT | Flags.O_EXCL | Flags.O_NOFOLLOW, PrivateMode));
    }

    /// <summary>Closes the file and renames it over the destination.</summary>
    public void Commit()
    {
        Handle.Dispose();
        Sys.Rename(Path, DestinationPath);
        _committed = true;
    }

    public void Dispose()
    {
        Handle.Dispose();
        if (!_committed)
        {
            RemoveQuietly(Path);
        }
    }

    /// <summary>A hidden name in the destination's own directory, so the final rename stays on one file system.
    /// The 48 random bits come from <see cref="Random.Shared"/>: the name only has to be hard to guess
    /// and unique (O_EXCL refuses a clash), and a cryptographic generator cost a library call and a
    /// getpid per file of a tree.</summary>
    internal static string PathFor(string destinationPath)
    {
        string directory = System.IO.Path.GetDirectoryName(destinationPath) ?? ".";
        string name = System.IO.Path.GetFileName(destinationPath);
        if (name.Length > 200)
        {
            name = name[..200];
        }

        return System.IO.Path.Combine(directory, $".{name}.{Random.Shared.NextInt64(1L << 48):x12}.splicetmp");
    }

    /// <summary>Removes a temporary file on the way out of a failure, which must stay the error reported.</summary>
    internal static void RemoveQuietly(string temporaryPath)
    {
        try
        {
            Sys.Unlink(temporaryPath);
        }
        catch (SpliceException)
        {
            // The original failure matters more; a leftover .splicetmp is named so that it is recognisable.
        }
    }
}
