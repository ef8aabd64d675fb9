using System;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// A destination path being written by a stream transfer (Invoke-Tee -Path, Write-VmSplice
/// -Destination path), with Copy-SpliceItem's safety: a regular file is written as a
/// <see cref="TemporaryFile"/> and renamed over it only by <see cref="Commit"/>; disposing without
/// a commit removes it and leaves the old destination as it was. FIFOs and devices, which rename
/// cannot replace, are written in place.
/// </summary>
internal sealed class DestinationFile : IDisposable
{
    private const int DefaultMode = 0b110_100_100;

    private readonly TemporaryFile? _temporary;

    private DestinationFile(string path, SafeFileHandle handle, FileKind kind, TemporaryFile? temporary)
    {
        Path = path;
        Handle = handle;
        Kind = kind;
        _temporary = temporary;
    }

    public string Path { get; }

    public SafeFileHandle Handle { get; }

    public FileKind Kind { get; }

    /// <param name="source">The source's status, to refuse writing a file onto itself; null for sources that are not files.</param>
    public static DestinationFile Open(string path, FileStatus? source, bool force, ReadinessWait wait)
    {
        var existing = Sys.TryStat(path);
        if (existing is { } target)
        {
            ExistingDestination.Refuse(target, source, null, path, force);
            switch (target.Kind)
            {
                case FileKind.Fifo:
                    return new DestinationFile(path, DescriptorOpener.OpenFifo(path, Flags.O_WRONLY, nonBlocking: true, wait), FileKind.Fifo, null);
                case FileKind.CharacterDevice or FileKind.BlockDevice or FileKind.Socket:
                    return new DestinationFile(path, Sys.Open(path, Flags.O_WRONLY | Flags.O_NOCTTY), target.Kind, null);
            }
        }

        var temporary = TemporaryFile.Beside(path);
        return new DestinationFile(path, temporary.Handle, FileKind.File, temporary);
    }

    /// <summary>Gives a new file the source's mode (and modification time, for a file source), then renames it into place.</summary>
    public void Commit(FileStatus? source)
    {
        if (_temporary is not null)
        {
            Sys.SetPermissions(Handle, source?.Permissions ?? DefaultMode, Path);
            if (source is { Kind: FileKind.File } file)
            {
                Sys.SetTimes(Handle, file, Path);
            }

            _temporary.Commit();
        }

        Handle.Dispose();
    }

    /// <summary>The open destination as a descriptor that the pipeline engines accept (it shares this handle).</summary>
    public SpliceDescriptor AsDescriptor() => new(Handle, Path, Kind, DescriptorAccess.Write);

    /// <summary>Closes the destination; a new file not yet committed is removed.</summary>
    public void Dispose()
    {
        Handle.Dispose();
        _temporary?.Dispose();
    }
}
