using System;
using System.Diagnostics;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// tee(2) from one kernel pipe into another: the destination gets a copy of what the source holds
/// and the source keeps it. tee always starts at the front of the source, so one call per
/// destination is all there is: a destination with less room gets a shorter copy.
/// </summary>
internal static class PipeTee
{
    private const uint TeeFlags = Flags.SPLICE_F_NONBLOCK;

    public static SpliceTransferResult Into(KernelPipe source, KernelPipe destination, long? length, ReadinessWait wait)
    {
        if (ReferenceEquals(source, destination) || ReferenceEquals(source.ReadEnd.Handle, destination.ReadEnd.Handle))
        {
            throw new SpliceRefusedException(Refusal.SamePipe, $"tee(2) needs two different pipes; {source} is both the source and a destination.");
        }

        var clock = Stopwatch.StartNew();
        var (from, to) = (Endpoint.AsSource(source), Endpoint.AsDestination(destination));
        long copied = 0;
        while (length != 0)
        {
            if (!wait.Until(from.Handle, Flags.POLLIN, source.ToString()))
            {
                break; // no writers and nothing held: end of input
            }

            long wanted = length ?? source.BytesAvailable;
            if (wanted == 0)
            {
                break;
            }

            copied = Sys.Tee(from.Handle, to.Handle, wanted, TeeFlags, source.ToString(), destination.ToString());
            if (copied != Sys.WouldBlock)
            {
                break;
            }

            // The source has data (polled above), so EAGAIN means the destination is full.
            wait.Until(to.Handle, Flags.POLLOUT, destination.ToString());
        }

        return new SpliceTransferResult(source.ToString(), destination.ToString(), Math.Max(copied, 0), TransferMethod.Tee, clock.Elapsed);
    }
}
