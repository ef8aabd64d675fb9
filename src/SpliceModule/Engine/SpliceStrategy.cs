using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// splice(2): pages move from the source into a kernel pipe and on into the destination without
/// entering user space. When one end already is a pipe or FIFO the bytes go straight across;
/// otherwise through a pipe of the strategy's own, sized as large as the kernel grants.
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

    private static string? CopyDirect(ByteTransfer transfer)
    {
        using var batching = ReceiveBatching.For(transfer);
        while (transfer.Remaining > 0)
        {
            if (!WaitForData(transfer, batching))
            {
                break;
            }

            long moved;
            try
            {
                moved = Sys.Splice(transfer.Source, transfer.NextSourceOffset, transfer.Destination, transfer.NextDestinationOffset, NextChunk(transfer, PreferredPipeCapacity), MoveFlags, transfer.SourcePath, transfer.DestinationPath);
            }
            catch (SpliceException e) when (MayFallBack(transfer, e, FallbackErrnos))
            {
                return e.Message;
            }

            if (moved == 0)
            {
                break;
            }

            if (moved != Sys.WouldBlock)
            {
                transfer.Advance(moved);
                batching?.Observe(moved, transfer.Remaining);
            }
        }

        return null;
    }

    private static string? CopyThroughPipe(ByteTransfer transfer)
    {
        using var pipe = KernelPipe.ForTransfer(PreferredPipeCapacity);
        using var batching = ReceiveBatching.For(transfer);
        int capacity = pipe.Capacity;
        while (transfer.Remaining > 0)
        {
            if (!WaitForData(transfer, batching))
            {
                break;
            }

            long filled;
            try
            {
                filled = Sys.Splice(transfer.Source, transfer.NextSourceOffset, pipe.WriteEnd.Handle, Sys.CurrentPosition, NextChunk(transfer, capacity), MoveFlags, transfer.SourcePath, transfer.DestinationPath);
            }
            catch (SpliceException e) when (MayFallBack(transfer, e, FallbackErrnos))
            {
                return e.Message;
            }

            if (filled == 0)
            {
                break;
            }

            if (filled == Sys.WouldBlock)
            {
                continue;
            }

            string? refused = Drain(transfer, pipe, filled);
            if (refused is not null)
            {
                return refused;
            }

            batching?.Observe(filled, transfer.Remaining);
        }

        return null;
    }

    /// <summary>Empties <paramref name="count"/> bytes from the pipe into the destination. If the
    /// destination refuses the very first bytes (O_APPEND, a file system without splice_write),
    /// a regular source is rewound so that the next strategy starts from the same place.</summary>
    private static string? Drain(ByteTransfer transfer, KernelPipe pipe, long count)
    {
        while (count > 0)
        {
            transfer.ThrowIfCancelled();
            long moved;
            try
            {
                moved = Sys.Splice(pipe.ReadEnd.Handle, Sys.CurrentPosition, transfer.Destination, transfer.NextDestinationOffset, count, MoveFlags, transfer.SourcePath, transfer.DestinationPath);
            }
            catch (SpliceException e) when (transfer.SourceKind == FileKind.File && MayFallBack(transfer, e, FallbackErrnos))
            {
                if (transfer.SourceOffset == Sys.CurrentPosition)
                {
                    Sys.Seek(transfer.Source, -count, Flags.SEEK_CUR, transfer.SourcePath);
                }

                return e.Message;
            }

            if (moved == Sys.WouldBlock)
            {
                transfer.WaitUntilReady(transfer.Destination, Flags.POLLOUT, transfer.DestinationPath);
                continue;
            }

            count -= moved;
            transfer.Advance(moved);
        }

        return null;
    }

    /// <summary>Polls stream ends so that a quiet FIFO or a full socket never blocks Ctrl+C.</summary>
    private static bool WaitForData(ByteTransfer transfer, ReceiveBatching? batching)
    {
        transfer.ThrowIfCancelled();
        if (transfer.DestinationIsStream)
        {
            transfer.WaitUntilReady(transfer.Destination, Flags.POLLOUT, transfer.DestinationPath);
        }

        return !transfer.SourceIsStream || batching?.WaitForBatch() == true || transfer.WaitUntilReady(transfer.Source, Flags.POLLIN, transfer.SourcePath);
    }
}
