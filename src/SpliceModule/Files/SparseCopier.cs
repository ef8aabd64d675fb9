using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Copies a file with holes so that the copy has the same holes: SEEK_DATA/SEEK_HOLE find each
/// data extent, both descriptors are positioned at it and the ordinary strategies copy just that
/// extent (a <see cref="ByteTransfer"/> with a <see cref="ByteTransfer.Limit"/>); a final ftruncate gives
/// the copy its full length, so a trailing hole stays a hole too. A source that shrinks while it
/// is copied ends the copy at what was read, and the caller is told.
/// </summary>
internal static class SparseCopier
{
    /// <summary>Copies all of <paramref name="source"/> into the empty regular file
    /// <paramref name="destination"/>; returns the method that moved the data, the bytes of data,
    /// and a warning when the source shrank meanwhile.</summary>
    public static (CopyMethod Method, long Bytes, string? Shrunk) Copy(FileCopyRequest request, SafeHandle source, in FileStatus sourceStatus, SafeHandle destination, string destinationPath)
    {
        long size = sourceStatus.Size;
        if (request.Method is CopyMethod.Auto or CopyMethod.Reflink && TryReflink(request, source, size, destination, destinationPath))
        {
            return (CopyMethod.Reflink, size, null);
        }

        // A file of nothing but holes moves no data: the method is the one asked for.
        CopyMethod used = request.Method;
        long copied = 0;
        long position = 0;
        long length = size;
        var wait = new ReadinessWait(request.Cancellation);
        while (position < size)
        {
            request.Cancellation.ThrowIfCancellationRequested();
            long dataStart = Sys.Seek(source, position, Flags.SEEK_DATA, request.SourcePath);
            if (dataStart < 0 || dataStart >= size)
            {
                break;
            }

            long dataEnd = Sys.Seek(source, dataStart, Flags.SEEK_HOLE, request.SourcePath);
            if (dataEnd < 0 || dataEnd > size)
            {
                dataEnd = size;
            }

            Sys.Seek(source, dataStart, Flags.SEEK_SET, request.SourcePath);
            Sys.Seek(destination, dataStart, Flags.SEEK_SET, destinationPath);
            long before = copied;
            var transfer = new ByteTransfer(source, FileKind.File, request.SourcePath, destination, FileKind.File, destinationPath)
            {
                SourceSize = size,
                Limit = dataEnd - dataStart,
                Wait = wait,
                Progress = request.Progress is { } report ? bytes => report(before + bytes) : null,
            };
            used = CopyEngine.Run(transfer, request.Method, request.StartAt);
            copied += transfer.Copied;
            if (transfer.Copied < transfer.Limit)
            {
                length = dataStart + transfer.Copied;
                break;
            }

            position = dataEnd;
        }

        // A source truncated meanwhile has no data past its new end: SEEK_DATA finds none, or a copy stops short.
        // (A /sys file's size is a guess that stays put: the copy then just ends where its content did.)
        return (used, copied, ShrunkSource.Cut(source, request.SourcePath, size, length, destination, destinationPath));
    }

    private static bool TryReflink(FileCopyRequest request, SafeHandle source, long size, SafeHandle destination, string destinationPath)
    {
        var whole = new ByteTransfer(source, FileKind.File, request.SourcePath, destination, FileKind.File, destinationPath)
        {
            SourceSize = size,
            Wait = new ReadinessWait(request.Cancellation),
            Progress = request.Progress,
        };
        if (request.Method == CopyMethod.Reflink)
        {
            CopyEngine.Run(whole, CopyMethod.Reflink);
            return true;
        }

        return new ReflinkStrategy().TryCopy(whole) is null;
    }
}
