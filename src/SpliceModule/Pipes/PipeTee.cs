using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
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
        var (fromName, toName) = (source.ToString(), destination.ToString());

        // Either pipe may be the one not ready: an empty source (no writers and nothing held is end
        // of input) or a full destination. Both are polled before the first try too: without a
        // length, the copy is of what the source holds once something has arrived.
        var ready = new Readiness(from.Handle, fromName, to.Handle, toName) { WaitFirst = true };
        long copied = length == 0 ? 0 : wait.Retry(new TeeOnce(source, from.Handle, to.Handle, length, fromName, toName), ready);
        return new SpliceTransferResult(fromName, toName, copied, TransferMethod.Tee, clock.Elapsed);
    }

    /// <summary>One tee(2) of <paramref name="Length"/> bytes, or of all the source holds; 0 when it
    /// holds nothing (another reader took it).</summary>
    private readonly record struct TeeOnce(KernelPipe Source, SafeHandle From, SafeHandle To, long? Length, string FromName, string ToName) : INonBlockingCall
    {
        public long Try()
        {
            long wanted = Length ?? Source.BytesAvailable;
            return wanted == 0 ? 0 : Sys.Tee(From, To, wanted, TeeFlags, FromName, ToName);
        }
    }
}
