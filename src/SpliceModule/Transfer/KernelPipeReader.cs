using System;
using System.Buffers;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Read-KernelPipe's engine: takes bytes out of a pipe into managed memory. It never enters a
/// blocking read: it waits with poll (Ctrl+C, time-out) and then reads no more than FIONREAD says
/// the pipe holds. Without a length it returns what the pipe holds once something has arrived (so
/// a writer that never stops cannot make it read forever); with one it keeps reading until that
/// many bytes or end of input.
/// </summary>
internal static class KernelPipeReader
{
    private const int MaxRead = 1024 * 1024;

    public static byte[] Read(KernelPipe pipe, int? length, ReadinessWait wait)
    {
        var readEnd = pipe.ReadEnd;
        if (readEnd.IsClosed)
        {
            throw new TransferRefusedException(TransferRefusal.DescriptorClosed, $"The read end of {pipe} is closed.");
        }

        string name = pipe.ToString();
        var received = new ArrayBufferWriter<byte>();
        int? limit = length;
        while (limit is not { } wanted || received.WrittenCount < wanted)
        {
            int available = Sys.BytesAvailable(readEnd.Handle, name);
            if (available == 0)
            {
                if (!wait.Until(readEnd.Handle, Flags.POLLIN, name))
                {
                    break; // no writers left: end of input
                }

                continue;
            }

            limit ??= available;
            int chunk = Math.Min(Math.Min(available, MaxRead), limit.Value - received.WrittenCount);
            long read = Sys.Read(readEnd.Handle, received.GetSpan(chunk)[..chunk], name);
            if (read == 0)
            {
                break;
            }

            if (read != Sys.WouldBlock)
            {
                received.Advance((int)read);
            }
        }

        return received.WrittenSpan.ToArray();
    }
}
