using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// The one place that empties a pipe into a descriptor: splices an exact number of bytes out of a
/// pipe (one of ours, or a FIFO read in place) into a destination.
/// Invariant: the pipe holds at least that many bytes, and nobody else reads them; so a splice
/// that finds nothing to do means the destination is full, and the wait is for it to take more.
/// </summary>
internal static class PipeDrain
{
    private const uint DrainFlags = Flags.SPLICE_F_MOVE | Flags.SPLICE_F_MORE | Flags.SPLICE_F_NONBLOCK;

    public static void Into(KernelPipe pipe, SafeHandle destination, string destinationPath, long count, ReadinessWait wait) =>
        Drain(pipe.ReadEnd.Handle, destination, destinationPath, count, long.MaxValue, wait, null);

    /// <summary>Drains from the read end of any pipe, a FIFO included, at most <paramref name="slice"/> bytes per splice(2).</summary>
    public static void Into(SafeHandle pipeReadEnd, SafeHandle destination, string destinationPath, long count, ReadinessWait wait, long slice = long.MaxValue) =>
        Drain(pipeReadEnd, destination, destinationPath, count, slice, wait, null);

    /// <summary>Drains into a transfer's destination at its next offset (or position), counting every
    /// piece as written when it is, so that a refusal of the very first piece is one the transfer
    /// may still fall back from, and one after it is not.</summary>
    public static void Into(KernelPipe pipe, ByteTransfer transfer, long count) =>
        Drain(pipe.ReadEnd.Handle, transfer.Destination, transfer.DestinationPath, count, long.MaxValue, transfer.Wait, transfer);

    private static void Drain(SafeHandle pipeReadEnd, SafeHandle destination, string destinationPath, long count, long slice, ReadinessWait wait, ByteTransfer? transfer)
    {
        var full = Readiness.ToWrite(destination, destinationPath);
        while (count > 0)
        {
            long offset = transfer?.NextDestinationOffset ?? Sys.CurrentPosition;
            var call = new SpliceCall(pipeReadEnd, Sys.CurrentPosition, destination, offset, Math.Min(count, slice), DrainFlags, transfer?.SourcePath, destinationPath);
            long moved = wait.Retry(call, full);
            if (moved == 0)
            {
                // Only a reader elsewhere can have emptied the pipe, and its writers are gone.
                throw new SpliceException(Errno.EIO, "splice", transfer?.SourcePath, destinationPath, $"The pipe ran dry with {count} bytes still to drain: another process read them.");
            }

            count -= moved;
            transfer?.Advance(moved);
        }
    }
}
