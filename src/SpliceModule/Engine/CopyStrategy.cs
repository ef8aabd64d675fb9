using System;
using System.Linq;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// One way of moving a <see cref="ByteTransfer"/>'s bytes. A strategy either copies everything or,
/// having written nothing, says why it cannot, so that the next one may try.
/// </summary>
internal abstract class CopyStrategy
{
    /// <summary>Bytes per call where the call itself has no natural size: small enough for
    /// Ctrl+C and progress to feel immediate, large enough that the syscall cost vanishes.</summary>
    protected const long Chunk = 64L * 1024 * 1024;

    /// <summary>errno values that are real failures (disk full, I/O error), never a reason to try another way.</summary>
    private static readonly int[] RealFailures = { Errno.EIO, Errno.ENOSPC, Errno.EDQUOT, Errno.ENOMEM };

    public abstract CopyMethod Method { get; }

    /// <summary>True when the copy shares the source's blocks instead of writing bytes (a reflink),
    /// so that the destination's own blocks would be wasted.</summary>
    public virtual bool SharesBlocks => false;

    /// <summary>The explicit offsets this strategy honours. <see cref="CopyEngine"/> never hands it a
    /// transfer with others: it skips the strategy (Auto) or refuses the method (forced).</summary>
    public virtual TransferOffsets OffsetsTaken => TransferOffsets.Source | TransferOffsets.Destination;

    /// <summary>Copies the whole transfer, or returns why this strategy cannot start (nothing written).</summary>
    public abstract string? TryCopy(ByteTransfer transfer);

    /// <summary>True when <paramref name="error"/> may hand the transfer to the next strategy.</summary>
    protected static bool MayFallBack(ByteTransfer transfer, SpliceException error, params int[] fallbackErrnos) =>
        transfer.Copied == 0 && !RealFailures.Contains(error.Errno) && (fallbackErrnos.Length == 0 || fallbackErrnos.Contains(error.Errno));

    protected static long NextChunk(ByteTransfer transfer, long preferred) => transfer.Remaining < preferred ? transfer.Remaining : preferred;
}

/// <summary>Which ends of a <see cref="ByteTransfer"/> start at an explicit offset instead of the descriptor's position.</summary>
[Flags]
internal enum TransferOffsets
{
    None = 0,
    Source = 1,
    Destination = 2,
}
