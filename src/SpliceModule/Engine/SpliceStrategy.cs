using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// splice(2): pages move from the source into a kernel pipe and on into the destination without
/// entering user space. When one end already is a pipe or FIFO the bytes go straight across;
/// otherwise through a pipe of the strategy's own, sized as large as the kernel grants, in two
/// loops as Go's splice has them, each with its invariant: the fill from the source into the
/// empty pipe (<see cref="CopyThroughPipe"/>) and the drain from the pipe (<see cref="PipeDrain"/>).
/// </summary>
internal sealed class SpliceStrategy : CopyStrategy
{
    /// <summary>What the strategy asks for; the kernel may grant less (pipe-max-size, per-user limits).</summary>
    internal const int PreferredPipeCapacity = 1024 * 1024;

    private const uint MoveFlags = Flags.SPLICE_F_MOVE | Flags.SPLICE_F_MORE | Flags.SPLICE_F_NONBLOCK;

    private static readonly int[] FallbackErrnos = { Errno.EINVAL, Errno.ENOSYS, Errno.EOPNOTSUPP, Errno.EBADF, Errno.ESPIPE };

    public override CopyMethod Method => CopyMethod.Splice;

    public override string? TryCopy(ByteTransfer transfer)
    {
        if (!KernelFeatures.IsAvailable(KernelFeature.Splice))
        {
            return "splice is not available in this process";
        }

        return IsPipe(transfer.SourceKind) || IsPipe(transfer.DestinationKind) ? CopyDirect(transfer) : CopyThroughPipe(transfer);
    }

    private static bool IsPipe(FileKind kind) => kind is FileKind.Pipe or FileKind.Fifo;

    /// <summary>One end is a pipe: each splice(2) goes straight across, and either end may be the
    /// one that is not ready.</summary>
    private static string? CopyDirect(ByteTransfer transfer)
    {
        using var batching = ReceiveBatching.For(transfer);
        var ready = StreamEnds(transfer, batching);
        while (transfer.Remaining > 0)
        {
            long moved;
            try
            {
                var call = new SpliceCall(transfer.Source, transfer.NextSourceOffset, transfer.Destination, transfer.NextDestinationOffset, NextChunk(transfer, PreferredPipeCapacity), MoveFlags, transfer.SourcePath, transfer.DestinationPath);
                moved = transfer.Wait.Retry(call, ready);
            }
            catch (SpliceException e) when (MayFallBack(transfer, e, FallbackErrnos))
            {
                return e.Message;
            }

            if (moved == 0)
            {
                break;
            }

            transfer.Advance(moved);
            batching?.Observe(moved, transfer.Remaining);
        }

        return null;
    }

    /// <summary>
    /// Neither end is a pipe: rounds of a fill and a drain through a pipe of ours.
    /// Invariant of the fill: the pipe is empty (new, or emptied by the drain before), so a fill
    /// that finds nothing to do means the source has nothing yet. The drain empties the pipe again
    /// (<see cref="PipeDrain"/>: there, finding nothing to do means the destination is full). If
    /// the destination refuses the very first bytes (O_APPEND, a file system without
    /// splice_write), a regular source is rewound so that the next strategy starts from the same place.
    /// </summary>
    private static string? CopyThroughPipe(ByteTransfer transfer)
    {
        using var pipe = KernelPipe.ForTransfer(PreferredPipeCapacity);
        using var batching = ReceiveBatching.For(transfer);
        var ready = StreamEnds(transfer, batching);
        int capacity = pipe.Capacity;
        while (transfer.Remaining > 0)
        {
            long filled;
            try
            {
                var call = new SpliceCall(transfer.Source, transfer.NextSourceOffset, pipe.WriteEnd.Handle, Sys.CurrentPosition, NextChunk(transfer, capacity), MoveFlags, transfer.SourcePath, transfer.DestinationPath);
                filled = transfer.Wait.Retry(call, ready);
            }
            catch (SpliceException e) when (MayFallBack(transfer, e, FallbackErrnos))
            {
                return e.Message;
            }

            if (filled == 0)
            {
                break;
            }

            transfer.TakeIntoPipe(filled);
            try
            {
                PipeDrain.Into(pipe, transfer, filled);
            }
            catch (SpliceException e) when (transfer.SourceKind == FileKind.File && MayFallBack(transfer, e, FallbackErrnos))
            {
                if (transfer.SourceOffset == Sys.CurrentPosition)
                {
                    Sys.Seek(transfer.Source, -filled, Flags.SEEK_CUR, transfer.SourcePath);
                }

                return e.Message;
            }

            batching?.Observe(filled, transfer.Remaining);
        }

        return null;
    }

    /// <summary>The stream ends of a transfer (pipes, FIFOs, sockets, character devices), waited on
    /// before every splice as well as when one finds nothing to do: a socket or device in blocking
    /// mode would block Ctrl+C inside the call, a FIFO whose writer has not come yet would read as
    /// end of input, and a full destination is not given more than it can take.</summary>
    private static Readiness StreamEnds(ByteTransfer transfer, ReceiveBatching? batching) =>
        new(transfer.SourceIsStream ? transfer.Source : null, transfer.SourcePath, transfer.DestinationIsStream ? transfer.Destination : null, transfer.DestinationPath)
        {
            WaitFirst = transfer.SourceIsStream || transfer.DestinationIsStream,
            Batching = batching,
        };
}
