using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Copies one file the safe way: the destination is a <see cref="DestinationSlot"/> in a held
/// directory, checked against the source by inode before anything is opened for writing; new
/// content goes to a <see cref="TemporaryFile"/> that takes the destination's name only once
/// complete, so an error or Ctrl+C leaves the old destination and nothing is written through a
/// symlink. FIFOs and devices, which cannot be replaced by rename, are written in place.
/// </summary>
internal static class FileCopier
{
    public static FileCopyResult Copy(FileCopyRequest request)
    {
        long started = Stopwatch.GetTimestamp();
        if (!KernelFeatures.LinuxKernel || request.Method == CopyMethod.PlatformCopy)
        {
            if (request.Method is not (CopyMethod.Auto or CopyMethod.PlatformCopy))
            {
                throw new SpliceRefusedException(Refusal.MethodNotSupported, $"The {request.Method} method needs the Linux kernel's copy calls, which are not available here; use -Method Auto or PlatformCopy.");
            }

            return PlatformCopy(request, started);
        }

        using var slot = DestinationSlot.Resolve(request.DestinationPath);
        return Copy(request, slot);
    }

    /// <summary>Copies a named source to a destination already resolved (<see cref="DestinationSlot.ForItem"/>).</summary>
    public static FileCopyResult Copy(FileCopyRequest request, DestinationSlot destination) => TransientRetry.Run(request, destination, slot =>
    {
        long started = Stopwatch.GetTimestamp();
        var (source, sourceStatus) = SourceFile.OpenNamed(request.SourcePath);
        using (source)
        {
            return CopyTo(request, source, sourceStatus, slot, started);
        }
    });

    /// <summary>Copies a file of a walked tree from its held source directory into a held destination
    /// directory; the source must still be the file the walk saw.</summary>
    public static FileCopyResult CopyInTree(FileCopyRequest request, DirectoryHandle sourceDirectory, EntryName name, FileStatus expected, bool followSymlink, DestinationSlot destination) =>
        TransientRetry.Run(request, destination, (Request: request, Directory: sourceDirectory, Name: name, Expected: expected, FollowSymlink: followSymlink), static (slot, file) =>
        {
            long started = Stopwatch.GetTimestamp();
            var request = file.Request;
            if (slot.Existing is null && IsKnownEmpty(request, file.Expected, slot) && request is { Method: CopyMethod.Auto, Verify: false } && (request.Preserve & CopyPreserve.ExtendedAttributes) == 0)
            {
                return CreateEmpty(request, file.Expected, slot, started);
            }

            // The status as of the open: a file that changed size since the walk is copied as it is now.
            using var source = SourceFile.OpenInTree(file.Directory, file.Name, file.Expected, file.FollowSymlink, out var opened, request.SourcePath);
            return CopyTo(request, source, opened, slot, started);
        });

    /// <summary>What a file left alone (-Update, -NoClobber) reports: its size, nothing written but,
    /// where they differed, its metadata.</summary>
    public static FileCopyResult Unchanged(FileCopyRequest request, string sourcePath, in FileStatus sourceStatus, DestinationSlot slot) =>
        new(sourcePath, slot.Path, request.Method, sourceStatus.Kind == FileKind.File ? sourceStatus.Size : 0, TimeSpan.Zero)
        {
            Unchanged = true,
            Metadata = ChangeCheck.Refresh(request, sourcePath, sourceStatus, slot),
        };

    /// <summary>A regular file seen empty on a file system whose sizes are true, or on the
    /// destination's own (so not a /proc or /sys file that reports size 0 and has content).</summary>
    private static bool IsKnownEmpty(FileCopyRequest request, in FileStatus source, DestinationSlot slot) =>
        source.Kind == FileKind.File && source.Size == 0 && (request.SourceSizeIsTrue || slot.Device == source.Device);

    /// <summary>An empty file of a tree, made without opening its source: the content copied is
    /// what the walk saw (nothing), as it would be after an open; its mode, owner and times come
    /// from the walk too, and a file swapped in since has no bytes to leak. There is no content to
    /// be seen half-written, so the file is made under its name at once (O_EXCL, never through a
    /// link) and private (0600) until its metadata is set through its descriptor a moment later:
    /// what another process can see meanwhile is an empty file, never wider than the source's,
    /// with the time of its making. Where the name is taken it goes the unnamed way.</summary>
    private static FileCopyResult CreateEmpty(FileCopyRequest request, in FileStatus sourceStatus, DestinationSlot slot, long started)
    {
        request.Cancellation.ThrowIfCancellationRequested();
        MetadataReport metadata;
        int mode = MetadataCopier.CreationMode(sourceStatus, request.Preserve);
        if (slot.TryCreateEmpty(mode) is { } created)
        {
            using (created)
            {
                try
                {
                    metadata = MetadataCopier.Apply(null, sourceStatus, created, request.Preserve, request.SourcePath, slot.Path, createdWith: mode);
                    if (request.Sync)
                    {
                        Sys.Flush(created, slot.Path);
                    }
                }
                catch
                {
                    slot.RemoveCreated(created);
                    throw;
                }
            }
        }
        else
        {
            using var temporary = slot.CreateFile(mode: mode);
            metadata = MetadataCopier.Apply(null, sourceStatus, temporary.Handle, request.Preserve, request.SourcePath, slot.Path, createdWith: mode);
            if (request.Sync)
            {
                Sys.Flush(temporary.Handle, slot.Path);
            }

            request.Cancellation.ThrowIfCancellationRequested();
            temporary.Commit();
        }

        return new FileCopyResult(request.SourcePath, slot.Path, CopyMethod.CopyFileRange, 0, Stopwatch.GetElapsedTime(started)) { Metadata = metadata };
    }

    private static FileCopyResult CopyTo(FileCopyRequest request, SafeFileHandle source, FileStatus sourceStatus, DestinationSlot slot, long started)
    {
        if (request.Existing != ExistingItems.Replace && slot.Existing is { } existing && !existing.IsSameFile(sourceStatus) && ChangeCheck.LeavesAlone(request, source, sourceStatus, slot))
        {
            return Unchanged(request, request.SourcePath, sourceStatus, slot);
        }

        slot.Refuse(sourceStatus, request.SourcePath, request.Force);
        if (request.InPlace && slot.Existing is { Kind: FileKind.File })
        {
            return InPlaceCopier.Copy(request, source, sourceStatus, slot, started);
        }

        return slot.IsWrittenInPlace
            ? CopyInPlace(request, source, sourceStatus, slot, started)
            : CopyViaTemporaryFile(request, source, sourceStatus, slot, started);
    }

    private static FileCopyResult CopyViaTemporaryFile(FileCopyRequest request, SafeFileHandle source, FileStatus sourceStatus, DestinationSlot slot, long started)
    {
        // A file replaced keeps some of the old one's metadata (-KeepReplaced): it starts private.
        int mode = slot.Existing is null ? MetadataCopier.CreationMode(sourceStatus, request.Preserve) : MetadataCopier.PrivateFileMode;
        using var temporary = slot.CreateFile(readable: request.Verify, mode: mode);
        var destination = temporary.Handle;
        var (method, bytes, shrunk, sparse) = CopyIntoFile(request, source, sourceStatus, destination, slot);
        string? hash = request.Verify && sourceStatus.Kind == FileKind.File
            ? ContentVerifier.Verify(source, request.SourcePath, destination, slot.Path, request.Cancellation)
            : null;
        var (metadata, notKept) = ReplacedFileMetadata.Apply(slot, request.KeepReplaced, destination, (Source: source, Status: sourceStatus, Copy: destination, Request: request, Path: slot.Path, Mode: mode), static (file, keep) =>
            MetadataCopier.Apply(file.Source, file.Status, file.Copy, file.Request.Preserve & ~keep, file.Request.SourcePath, file.Path, createdWith: file.Mode));
        if (request.Sync)
        {
            Sys.Flush(destination, slot.Path);
        }

        FileStatus? written = (request.Preserve & CopyPreserve.Links) != 0 && sourceStatus.LinkCount > 1 ? Sys.Stat(destination, slot.Path) : null;

        // fsync cannot be interrupted: a Ctrl+C that came during it still keeps the old destination.
        request.Cancellation.ThrowIfCancellationRequested();
        bool landed = temporary.Commit(checkLanding: request.Verify);
        if (request.Verify && !landed)
        {
            throw new CopyVerificationException(
                $"The copy of '{request.SourcePath}' was written and verified, but '{slot.Path}' was replaced by another file at once (another process renamed something over it); what stands there now is not the verified copy.",
                hash ?? string.Empty,
                string.Empty);
        }

        return new FileCopyResult(request.SourcePath, slot.Path, method, bytes, Stopwatch.GetElapsedTime(started))
        {
            Sparse = sparse,
            Sha256 = hash,
            Metadata = metadata,
            Written = written,
            SourceChangedWarning = shrunk,
            ReplacedWarning = slot.Existing is null ? null : string.Join(" ", OtherNamesWarning(slot, request.Preserve), notKept).Trim() is { Length: > 0 } said ? said : null,
        };
    }

    /// <summary>A replaced file with other hard links: those names keep the old content (a new file took this name).
    /// Not said with -Preserve Links, where a tree's names of one file are made links of the new copy again.</summary>
    private static string? OtherNamesWarning(DestinationSlot slot, CopyPreserve preserve) =>
        (preserve & CopyPreserve.Links) == 0 && slot.Existing is { Kind: FileKind.File, LinkCount: > 1 } old
        ? $"'{slot.Path}' had {old.LinkCount - 1} other name(s) (hard links); they keep the old content, as a new file took this name. -InPlace writes into the existing file, so that every name sees the new content."
        : null;

    private static FileCopyResult CopyInPlace(FileCopyRequest request, SafeFileHandle source, FileStatus sourceStatus, DestinationSlot slot, long started)
    {
        using var destination = slot.OpenInPlace(new ReadinessWait(request.Cancellation));
        var (method, bytes, _) = CopyContent(request, source, sourceStatus, destination, slot.Existing!.Value.Kind, slot);
        return new FileCopyResult(request.SourcePath, slot.Path, method, bytes, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The content into a regular file: extent by extent when the source has holes, else by
    /// the fastest method.</summary>
    internal static (CopyMethod Method, long Bytes, string? Shrunk, bool Sparse) CopyIntoFile(FileCopyRequest request, SafeFileHandle source, in FileStatus sourceStatus, SafeFileHandle destination, DestinationSlot slot)
    {
        bool sparse = sourceStatus.IsSparse && request.Method != CopyMethod.PlatformCopy;
        var (method, bytes, shrunk) = sparse
            ? SparseCopier.Copy(request, source, sourceStatus, destination, slot.Path)
            : CopyContent(request, source, sourceStatus, destination, FileKind.File, slot);
        return (method, bytes, shrunk, sparse);
    }

    internal static (CopyMethod Method, long Bytes, string? Shrunk) CopyContent(FileCopyRequest request, SafeFileHandle source, in FileStatus sourceStatus, SafeFileHandle destination, FileKind destinationKind, DestinationSlot slot)
    {
        long sourceSize = sourceStatus.Kind == FileKind.File ? sourceStatus.Size : 0;
        var transfer = new ByteTransfer(source, sourceStatus.Kind, request.SourcePath, destination, destinationKind, slot.Path)
        {
            SourceSize = sourceSize,
            SourceIsKnownEmpty = IsKnownEmpty(request, sourceStatus, slot),
            SourceSizeIsTrue = request.SourceSizeIsTrue && sourceStatus.Kind == FileKind.File,
            ReserveBytes = destinationKind == FileKind.File ? sourceSize : 0,
            Wait = new ReadinessWait(request.Cancellation),
            Progress = request.Progress,
        };
        var method = CopyEngine.Run(transfer, request.Method, request.StartAt);
        // Short of the size it had when opened: the source may have been cut meanwhile.
        string? shrunk = destinationKind == FileKind.File && transfer.Copied < transfer.SourceSize
            ? ShrunkSource.Cut(source, request.SourcePath, transfer.SourceSize, transfer.Copied, destination, slot.Path)
            : null;
        return (method, transfer.Copied, shrunk);
    }

    private static FileCopyResult PlatformCopy(FileCopyRequest request, long started)
    {
        if (Directory.Exists(request.SourcePath))
        {
            throw new SpliceRefusedException(Refusal.SourceIsDirectory, $"'{request.SourcePath}' is a directory; use -Recurse to copy a directory tree.");
        }

        var source = new FileInfo(request.SourcePath);
        var destination = new FileInfo(request.DestinationPath);
        if (destination.Exists && string.Equals(FinalTarget(source), FinalTarget(destination), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase))
        {
            throw SpliceRefusedException.SelfCopy(Refusal.SameFile, $"Cannot copy '{request.SourcePath}' onto itself.", request.DestinationPath);
        }

        if (destination.Exists && destination.IsReadOnly && !request.Force && !Environment.IsPrivilegedProcess)
        {
            throw new SpliceRefusedException(Refusal.DestinationReadOnly, $"The destination '{request.DestinationPath}' is read-only; use -Force to replace it.");
        }

        if (destination.Exists && destination.IsReadOnly)
        {
            destination.IsReadOnly = false;
        }

        request.Cancellation.ThrowIfCancellationRequested();
        File.Copy(request.SourcePath, request.DestinationPath, overwrite: true);
        long bytes = new FileInfo(request.DestinationPath).Length;
        request.Progress?.Invoke(bytes);
        return new FileCopyResult(request.SourcePath, request.DestinationPath, CopyMethod.PlatformCopy, bytes, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Where a path ends up after every symlink, so that a copy onto a link to the source is refused
    /// without a stat call (this path also runs where the Linux calls do not exist).</summary>
    private static string FinalTarget(FileInfo file) => file.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? file.FullName;
}
