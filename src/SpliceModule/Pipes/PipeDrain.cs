using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>Splices an exact number of bytes out of a pipe into a destination, waiting (Ctrl+C,
/// time-out) whenever a stream destination is full.</summary>
internal static class PipeDrain
{
    private const uint DrainFlags = Flags.SPLICE_F_MOVE | Flags.SPLICE_F_MORE | Flags.SPLICE_F_NONBLOCK;

    public static void Into(KernelPipe pipe, SafeHandle destination, string destinationPath, long count, ReadinessWait wait) =>
        Into(pipe.ReadEnd.Handle, destination, destinationPath, count, wait);

    /// <summary>Drains from the read end of any pipe, a FIFO included, at most <paramref name="slice"/> bytes per splice(2).</summary>
    public static void Into(SafeHandle pipeReadEnd, SafeHandle destination, string destinationPath, long count, ReadinessWait wait, long slice = long.MaxValue)
    {
        while (count > 0)
        {
            wait.Cancellation.ThrowIfCancellationRequested();
            long moved = Sys.Splice(pipeReadEnd, Sys.CurrentPosition, destination, Sys.CurrentPosition, Math.Min(count, slice), DrainFlags, null, destinationPath);
            if (moved == Sys.WouldBlock)
            {
                wait.Until(destination, Flags.POLLOUT, destinationPath);
                continue;
            }

            count -= moved;
        }
    }
}
