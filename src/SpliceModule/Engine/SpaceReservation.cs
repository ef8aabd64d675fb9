using System.Collections.Generic;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// The blocks of a large new file reserved in one call (fallocate, keeping the size) before its
/// bytes are written. A buffered write into blocks that exist skips the delayed-allocation
/// bookkeeping that ext4 otherwise does page by page, and that bookkeeping is what a receiver's
/// or a copier's one core spends much of its time on for a big file (bench/results/NOTES.md).
/// Small files are left alone: there the call costs more than it saves. Only bytes about to be
/// written are reserved, so holes stay holes; a file that ends up shorter gives the rest back when
/// it is cut to its length (ftruncate), and a copy that fails takes its unnamed file with it.
/// </summary>
internal static class SpaceReservation
{
    /// <summary>Files of this many bytes to write, or more, are reserved.</summary>
    internal const long MinBytes = 16L * 1024 * 1024;

    /// <summary>Reserves the <paramref name="length"/> bytes at <paramref name="offset"/> of
    /// <paramref name="file"/> when there are enough of them.</summary>
    public static void Reserve(SafeHandle file, long offset, long length)
    {
        if (length >= MinBytes)
        {
            Sys.Preallocate(file, offset, length);
        }
    }

    /// <summary>Reserves the data pieces of a file that arrives piece by piece (holes between
    /// them), when they add up to <paramref name="dataBytes"/> that are enough; stops at the first
    /// the file system will not reserve.</summary>
    public static void Reserve(SafeHandle file, IEnumerable<(long Offset, long Length)> pieces, long dataBytes)
    {
        if (dataBytes < MinBytes)
        {
            return;
        }

        foreach (var (offset, length) in pieces)
        {
            if (length > 0 && !Sys.Preallocate(file, offset, length))
            {
                return;
            }
        }
    }
}
