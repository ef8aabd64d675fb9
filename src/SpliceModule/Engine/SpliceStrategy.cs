using System.Linq;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// splice(2): pages move from the source into a kernel pipe and on into the destination without
/// entering user space. When one end already is a pipe or FIFO the bytes go straight across;
/// otherwise through a pipe of the strategy's own, sized as large as the kernel grants, in two
/// loops as Go's splice has them, each with its invariant: the fill from the source into the
/// empty pipe (<see cref="CopyThroughPipe"/>) and the drain from the pipe (<see cref="PipeDrain"/>).
/// A destination that splice(2) cannot write at all is found before the first byte moves
/// (<see cref="RefusalInto"/>), so the transfer declines and goes by read/write.
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

    /// <summary>
    /// Why splice(2) cannot write into <paramref name="destination"/> at all, or null when it can.
    /// Since Linux 5.10 a file without splice_write (/dev/full, /dev/kmsg, most /proc files) and
    /// one opened with O_APPEND refuse every splice with EINVAL, and the kernel says so before it
    /// looks at the pipe: so a splice from an empty pipe that finds nothing to do (EAGAIN) means the
    /// destination takes splice, and one that is refused means it never will. Asked before the first
    /// byte leaves the source, because a stream source cannot have its bytes back, and before the
    /// first wait for the destination, because some devices never poll writable (/dev/kmsg).
    /// Pipes, FIFOs and sockets always take splice and are not asked.
    /// </summary>
    /// <param name="emptyPipe">The read end of an empty pipe of the caller's to ask with; else one is made for the question.</param>
    internal static string? RefusalInto(SafeHandle destination, FileKind kind, string destinationPath, SafeHandle? emptyPipe = null)
    {
        if (IsPipe(kind) || kind == FileKind.Socket)
        {
            return null;
        }

        if (!KernelFeatures.IsAvailable(KernelFeature.Splice))
        {
            return "splice is not available in this process";
        }

        if (emptyPipe is null)
        {
            var (read, write) = Sys.Pipe(nonBlocking: true);
            using (read)
            using (write)
            {
                return RefusalInto(destination, kind, destinationPath, read);
            }
        }

        try
        {
            Sys.Splice(emptyPipe, Sys.CurrentPosition, destination, Sys.CurrentPosition, 1, Flags.SPLICE_F_NONBLOCK, null, destinationPath);
            return null;
        }
        catch (SpliceException e) when (CannotSplice(e))
        {
            return e.Message;
        }
    }

    /// <summary>True when <paramref name="error"/> says that splice(2) cannot work between these ends
    /// (no support, O_APPEND, an offset where there is no position), not that the I/O failed: the
    /// bytes may go by read/write instead.</summary>
    internal static bool CannotSplice(SpliceException error) => FallbackErrnos.Contains(error.Errno);

    private static bool IsPipe(FileKind kind) => kind is FileKind.Pipe or FileKind.Fifo;

    /// <summary>One end is a pipe: each splice(2) goes straight across, and either end may be the
    /// one that is not ready.</summary>
    private static string? CopyDirect(ByteTransfer transfer)
    {
        if (RefusalInto(transfer.Destination, transfer.DestinationKind, transfer.DestinationPath) is { } refused)
        {
            return refused;
        }

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
        if (RefusalInto(transfer.Destination, transfer.DestinationKind, transfer.DestinationPath, pipe.ReadEnd.Handle) is { } refused)
        {
            return refused;
        }

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
