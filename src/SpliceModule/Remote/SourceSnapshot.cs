using System;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// A source whose size is not its length, taken whole into private memory before it is sent: a
/// remote copy announces a file's length (the header of a file, the frame and segments of a
/// tree's file) before its bytes, and the receiver checks that exactly that many came. A file of
/// /proc or /sys reports 0 or 4096 and makes its content when read, so it is read to its end once
/// by read(2) (which they take; they refuse splice), into a memfd, and that is sent as a regular
/// file of its real length, by the same zero-copy paths. Such files are small: one larger than
/// <see cref="MaxBytes"/> is refused rather than held in memory. A file of a disk file system or
/// tmpfs is never taken: its size is true, and it goes from the page cache as before.
/// </summary>
internal static class SourceSnapshot
{
    /// <summary>The most a source whose size cannot be trusted may hold.</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>Whether <paramref name="source"/> must be taken before it is sent: on a pseudo file
    /// system always; on one whose sizes are not vouched for (FUSE, network, overlay) when it has
    /// content past its size (a FUSE file made like /proc's, of size 0), which one pread of a byte
    /// there tells; on a true-size file system never.</summary>
    public static bool IsNeeded(SizeTrust trust, SafeFileHandle source, in FileStatus status, string path) => trust switch
    {
        SizeTrust.True => false,
        SizeTrust.Pseudo => true,
        _ => Sys.Read(source, stackalloc byte[1], status.Size, path) > 0,
    };

    /// <summary>Takes <paramref name="source"/> when <see cref="IsNeeded"/>: then it is replaced by
    /// (and closed for) the memfd, and <paramref name="status"/> gets the length read. Returns
    /// whether it was taken.</summary>
    public static bool TakeIfNeeded(SizeTrust trust, ref SafeFileHandle source, ref FileStatus status, string path, CancellationToken cancellation)
    {
        if (!IsNeeded(trust, source, status, path))
        {
            return false;
        }

        var (memory, length) = Take(source, path, cancellation);
        source.Dispose();
        source = memory;
        status = status with { Size = length, Blocks = (length + 511) / 512 };
        return true;
    }

    /// <summary>Reads <paramref name="source"/>, just opened, by read(2) from its position (some of
    /// these files take no offset) to its end into a new memfd; returns the memfd and the length
    /// it took. Every later read of the memfd gives its offset.</summary>
    public static (SafeFileHandle Memory, long Length) Take(SafeFileHandle source, string path, CancellationToken cancellation)
    {
        var memory = Sys.MemoryFile("splicemodule-source");
        try
        {
            var transfer = new ByteTransfer(source, FileKind.File, path, memory, FileKind.File, $"memfd of '{path}'")
            {
                DestinationOffset = 0,
                Limit = MaxBytes + 1,
                Wait = new ReadinessWait(cancellation),
            };
            CopyEngine.Run(transfer, CopyMethod.ReadWrite);
            if (transfer.Copied > MaxBytes)
            {
                throw new SpliceRefusedException(Refusal.UnsupportedInput, $"'{path}' reports a size that is not its length (a file of /proc, /sys or the like), so a remote copy reads it into memory before it sends it, and it holds more than {MaxBytes / (1024 * 1024)} MiB, the most read so. Copy it to a file on its own host first (a local copy reads it to its end), then send that.");
            }

            return (memory, transfer.Copied);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }
}
