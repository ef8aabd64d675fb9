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

    public override string? TryCopy(CopyJob job)
    {
        if (!KernelFeatures.IsAvailable(KernelFeature.Splice))
        {
            return "splice is not available in this process";
        }

        return IsPipe(job.SourceKind) || IsPipe(job.DestinationKind) ? CopyDirect(job) : CopyThroughPipe(job);
    }

    private static bool IsPipe(FileKind kind) => kind is FileKind.Pipe or FileKind.Fifo;

    private static string? CopyDirect(CopyJob job)
    {
        using var batching = ReceiveBatching.For(job);
        while (job.Remaining > 0)
        {
            if (!WaitForData(job, batching))
            {
                break;
            }

            long moved;
            try
            {
                moved = Sys.Splice(job.Source, job.NextSourceOffset, job.Destination, job.NextDestinationOffset, NextChunk(job, PreferredPipeCapacity), MoveFlags, job.SourcePath, job.DestinationPath);
            }
            catch (SpliceException e) when (MayFallBack(job, e, FallbackErrnos))
            {
                return e.Message;
            }

            if (moved == 0)
            {
                break;
            }

            if (moved != Sys.WouldBlock)
            {
                job.Advance(moved);
                batching?.Observe(moved, job.Remaining);
            }
        }

        return null;
    }

    private static string? CopyThroughPipe(CopyJob job)
    {
        using var pipe = KernelPipe.Create(nonBlocking: true);
        using var batching = ReceiveBatching.For(job);
        int capacity = GrowPipe(pipe);
        while (job.Remaining > 0)
        {
            if (!WaitForData(job, batching))
            {
                break;
            }

            long filled;
            try
            {
                filled = Sys.Splice(job.Source, job.NextSourceOffset, pipe.WriteEnd.Handle, Sys.CurrentPosition, NextChunk(job, capacity), MoveFlags, job.SourcePath, job.DestinationPath);
            }
            catch (SpliceException e) when (MayFallBack(job, e, FallbackErrnos))
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

            string? refused = Drain(job, pipe, filled);
            if (refused is not null)
            {
                return refused;
            }

            batching?.Observe(filled, job.Remaining);
        }

        return null;
    }

    /// <summary>Empties <paramref name="count"/> bytes from the pipe into the destination. If the
    /// destination refuses the very first bytes (O_APPEND, a file system without splice_write),
    /// a regular source is rewound so that the next strategy starts from the same place.</summary>
    private static string? Drain(CopyJob job, KernelPipe pipe, long count)
    {
        while (count > 0)
        {
            job.ThrowIfCancelled();
            long moved;
            try
            {
                moved = Sys.Splice(pipe.ReadEnd.Handle, Sys.CurrentPosition, job.Destination, job.NextDestinationOffset, count, MoveFlags, job.SourcePath, job.DestinationPath);
            }
            catch (SpliceException e) when (job.SourceKind == FileKind.File && MayFallBack(job, e, FallbackErrnos))
            {
                if (job.SourceOffset == Sys.CurrentPosition)
                {
                    Sys.Seek(job.Source, -count, Flags.SEEK_CUR, job.SourcePath);
                }

                return e.Message;
            }

            if (moved == Sys.WouldBlock)
            {
                job.WaitUntilReady(job.Destination, Flags.POLLOUT, job.DestinationPath);
                continue;
            }

            count -= moved;
            job.Advance(moved);
        }

        return null;
    }

    /// <summary>Polls stream ends so that a quiet FIFO or a full socket never blocks Ctrl+C.</summary>
    private static bool WaitForData(CopyJob job, ReceiveBatching? batching)
    {
        job.ThrowIfCancelled();
        if (job.DestinationIsStream)
        {
            job.WaitUntilReady(job.Destination, Flags.POLLOUT, job.DestinationPath);
        }

        return !job.SourceIsStream || batching?.WaitForBatch() == true || job.WaitUntilReady(job.Source, Flags.POLLIN, job.SourcePath);
    }

    private static int GrowPipe(KernelPipe pipe)
    {
        try
        {
            return Sys.SetPipeSize(pipe.WriteEnd.Handle, PreferredPipeCapacity);
        }
        catch (SpliceException)
        {
            // Per-user pipe limits: work with the size the pipe already has.
            return Sys.GetPipeSize(pipe.WriteEnd.Handle);
        }
    }
}
