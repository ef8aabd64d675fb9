using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// -InPlace: the new content is written into the regular file that stands at the destination, as
/// cp writes it: the same inode, so its other hard links, owner, group, mode, ACL and attributes
/// stay (only what -Preserve asks for explicitly is then taken from the source). The file is opened
/// through the held directory without following a link and checked to be the file that was seen,
/// then truncated and written. Not atomic: a failure or Ctrl+C part way leaves part of the new
/// content, and readers may see the file while it is written.
/// </summary>
internal static class InPlaceCopier
{
    public static FileCopyResult Copy(FileCopyRequest request, SafeFileHandle source, FileStatus sourceStatus, DestinationSlot slot, long started)
    {
        using var destination = slot.OpenExistingFile(write: true, read: request.Verify);
        Sys.Truncate(destination, 0, slot.Path);
        var (method, bytes, shrunk, sparse) = FileCopier.CopyIntoFile(request, source, sourceStatus, destination, slot);
        string? hash = request.Verify
            ? ContentVerifier.Verify(source, request.SourcePath, destination, slot.Path, request.Cancellation)
            : null;

        // What the file keeps of its own is already there; only what -Preserve asked for by name changes.
        var metadata = MetadataCopier.Apply(source, sourceStatus, destination, request.Preserve & ~request.KeepReplaced, request.SourcePath, slot.Path);
        if (request.Sync)
        {
            Sys.Flush(destination, slot.Path);
        }

        return new FileCopyResult(request.SourcePath, slot.Path, method, bytes, Stopwatch.GetElapsedTime(started))
        {
            Sparse = sparse,
            Sha256 = hash,
            Metadata = metadata,
            SourceChangedWarning = shrunk,
        };
    }
}
