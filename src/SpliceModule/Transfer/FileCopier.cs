using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Copies one file the safe way: the source is checked against the destination by inode before
/// anything is opened for writing; new content goes to a private temporary file beside the
/// destination (O_EXCL|O_NOFOLLOW, mode 0600) that is renamed over it only once complete, so an
/// error or Ctrl+C leaves the old destination and never writes through a symlink. FIFOs and
/// devices, which cannot be replaced by rename, are written in place.
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
                throw new CopyRefusedException(CopyRefusal.MethodNotSupported, $"The {request.Method} method needs the Linux kernel's copy calls, which are not available here; use -Method Auto or PlatformCopy.");
            }

            return PlatformCopy(request, started);
        }

        string sourcePath = request.SourcePath, destinationPath = request.DestinationPath;
        int sourceFlags = Flags.O_RDONLY | Flags.O_NOCTTY | Flags.O_NONBLOCK;
        if (!request.SourceKnownRegular)
        {
            // Look before opening: a socket cannot be opened, and only a FIFO wants O_NONBLOCK.
            var before = Sys.Stat(sourcePath);
            RefuseUnsupportedSource(before, sourcePath);
            sourceFlags = before.Kind == FileKind.Fifo ? sourceFlags : sourceFlags & ~Flags.O_NONBLOCK;
        }

        using var source = Sys.Open(sourcePath, sourceFlags);
        var sourceStatus = Sys.Stat(source, sourcePath);
        RefuseUnsupportedSource(sourceStatus, sourcePath);

        var existing = request.DestinationKnownAbsent ? null : Sys.TryStat(destinationPath);
        if (existing is { } target)
        {
            ExistingDestination.Refuse(target, sourceStatus, sourcePath, destinationPath, request.Force);
            if (target.Kind is FileKind.Fifo or FileKind.CharacterDevice or FileKind.BlockDevice)
            {
                return CopyInPlace(request, source, sourceStatus, target.Kind, started);
            }
        }

        return CopyViaTemporaryFile(request, source, sourceStatus, started);
    }

    private static void RefuseUnsupportedSource(in FileStatus status, string path)
    {
        switch (status.Kind)
        {
            case FileKind.Directory:
                throw new CopyRefusedException(CopyRefusal.SourceIsDirectory, $"'{path}' is a directory; use -Recurse to copy a directory tree.");
            case FileKind.Socket:
                throw new CopyRefusedException(CopyRefusal.SourceIsSocket, $"'{path}' is a socket, which has no content to copy; connect to it with Open-SpliceDescriptor -Uri unix://{path}.");
        }
    }

    private static FileCopyResult CopyViaTemporaryFile(FileCopyRequest request, SafeFileHandle source, FileStatus sourceStatus, long started)
    {
        using var temporary = TemporaryFile.Beside(request.DestinationPath, readable: request.Verify);
        var destination = temporary.Handle;
        bool sparse = sourceStatus.IsSparse && request.Method != CopyMethod.PlatformCopy;
        var (method, bytes) = sparse
            ? SparseCopier.Copy(request, source, sourceStatus, destination, request.DestinationPath)
            : CopyContent(request, source, sourceStatus, destination, FileKind.File, request.DestinationPath);
        string? hash = request.Verify && sourceStatus.Kind == FileKind.File
            ? ContentVerifier.Verify(source, request.SourcePath, destination, request.DestinationPath, request.Cancellation)
            : null;
        MetadataCopier.Apply(source, sourceStatus, destination, request.Preserve, request.SourcePath, request.DestinationPath);
        if (request.Sync)
        {
            Sys.Flush(destination, request.DestinationPath);
        }

        temporary.Commit();
        return new FileCopyResult(request.SourcePath, request.DestinationPath, method, bytes, Stopwatch.GetElapsedTime(started)) { Sparse = sparse, Sha256 = hash };
    }

    private static FileCopyResult CopyInPlace(FileCopyRequest request, SafeFileHandle source, FileStatus sourceStatus, FileKind destinationKind, long started)
    {
        using var destination = OpenForWritingInPlace(request.DestinationPath, destinationKind, request.Cancellation);
        var (method, bytes) = CopyContent(request, source, sourceStatus, destination, destinationKind, request.DestinationPath);
        return new FileCopyResult(request.SourcePath, request.DestinationPath, method, bytes, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>A FIFO is opened without blocking in open(2): waiting for its reader honours Ctrl+C.</summary>
    private static SafeFileHandle OpenForWritingInPlace(string path, FileKind kind, CancellationToken cancellation) =>
        kind == FileKind.Fifo
            ? DescriptorOpener.OpenFifo(path, Flags.O_WRONLY, nonBlocking: true, new ReadinessWait(cancellation))
            : Sys.Open(path, Flags.O_WRONLY | Flags.O_NOCTTY);

    private static (CopyMethod Method, long Bytes) CopyContent(FileCopyRequest request, SafeFileHandle source, in FileStatus sourceStatus, SafeFileHandle destination, FileKind destinationKind, string destinationPath)
    {
        var job = new CopyJob(source, sourceStatus.Kind, request.SourcePath, destination, destinationKind, destinationPath)
        {
            SourceSize = sourceStatus.Kind == FileKind.File ? sourceStatus.Size : 0,
            SourceIsKnownEmpty = sourceStatus.Kind == FileKind.File && sourceStatus.Size == 0
                && Sys.Stat(destination, destinationPath).Device == sourceStatus.Device,
            Cancellation = request.Cancellation,
            Progress = request.Progress,
        };
        var method = CopyEngine.Run(job, request.Method, request.StartAt);
        return (method, job.Copied);
    }

    private static FileCopyResult PlatformCopy(FileCopyRequest request, long started)
    {
        if (Directory.Exists(request.SourcePath))
        {
            throw new CopyRefusedException(CopyRefusal.SourceIsDirectory, $"'{request.SourcePath}' is a directory; use -Recurse to copy a directory tree.");
        }

        var source = new FileInfo(request.SourcePath);
        var destination = new FileInfo(request.DestinationPath);
        if (destination.Exists && string.Equals(FinalTarget(source), FinalTarget(destination), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase))
        {
            throw new CopyRefusedException(CopyRefusal.SameFile, $"Cannot copy '{request.SourcePath}' onto itself.");
        }

        if (destination.Exists && destination.IsReadOnly && !request.Force)
        {
            throw new CopyRefusedException(CopyRefusal.DestinationReadOnly, $"The destination '{request.DestinationPath}' is read-only; use -Force to replace it.");
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
