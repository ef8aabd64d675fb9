using System;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// A destination path being written by a stream transfer (Invoke-Tee -Path, Write-VmSplice
/// -Destination path), with Copy-SpliceItem's rules, decided by the same <see cref="DestinationSlot"/>:
/// a regular file (or a link, which is replaced) is written as a <see cref="TemporaryFile"/> that
/// takes the name only at <see cref="Commit"/>; disposing without a commit leaves the old
/// destination as it was. FIFOs and devices, which rename cannot replace, are written in place.
/// </summary>
internal sealed class DestinationFile : IDisposable
{
    private const int DefaultMode = 0b110_100_100;

    private readonly DestinationSlot _slot;
    private readonly TemporaryFile? _temporary;

    private DestinationFile(DestinationSlot slot, SafeFileHandle handle, FileKind kind, TemporaryFile? temporary)
    {
        _slot = slot;
        Handle = handle;
        Kind = kind;
        _temporary = temporary;
    }

    public string Path => _slot.Path;

    public SafeFileHandle Handle { get; }

    public FileKind Kind { get; }

    /// <param name="source">The source's status, to refuse writing a file onto itself; null for sources that are not files.</param>
    public static DestinationFile Open(string path, FileStatus? source, bool force, ReadinessWait wait)
    {
        var slot = DestinationSlot.Resolve(path);
        try
        {
            slot.Refuse(source, null, force);
            if (slot.IsWrittenInPlace)
            {
                return new DestinationFile(slot, slot.OpenInPlace(wait), slot.Existing!.Value.Kind, null);
            }

            var temporary = slot.CreateFile();
            return new DestinationFile(slot, temporary.Handle, FileKind.File, temporary);
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }

    /// <summary>Gives a new file the source's mode (and modification time, for a file source), less
    /// setuid, setgid and sticky bits, which a copy owned by someone else must not carry, or, where
    /// it replaces a file, that file's owner, mode and attributes; then gives it the destination's
    /// name. Says which bits were left off.</summary>
    public MetadataReport Commit(FileStatus? source)
    {
        MetadataReport report = default;
        if (_temporary is not null)
        {
            // A file replaced keeps its owner, mode and attributes, as Copy-SpliceItem (and cp, and
            // a shell's >) keep them: a private file must not come back readable by all.
            (report, _) = ReplacedFileMetadata.Apply(_slot, CopyPreserve.Ownership | CopyPreserve.Mode | CopyPreserve.ExtendedAttributes, Handle, (Source: source, File: this), static (state, keep) =>
            {
                if (state.Source is { } status)
                {
                    var preserve = status.Kind == FileKind.File ? CopyPreserve.Mode | CopyPreserve.Timestamps : CopyPreserve.Mode;
                    return MetadataCopier.Apply(null, status, state.File.Handle, preserve & ~keep, state.File.Path, state.File.Path);
                }

                if (keep == CopyPreserve.None)
                {
                    Sys.SetPermissions(state.File.Handle, DefaultMode, state.File.Path);
                }

                return default;
            });

            _temporary.Commit();
        }

        Handle.Dispose();
        return report;
    }

    /// <summary>The open destination as a descriptor that the pipeline engines accept (it shares this handle).</summary>
    public SpliceDescriptor AsDescriptor() => new(Handle, Path, Kind, DescriptorAccess.Write);

    /// <summary>Closes the destination; a new file not yet committed is removed.</summary>
    public void Dispose()
    {
        Handle.Dispose();
        _temporary?.Dispose();
        _slot.Dispose();
    }
}
