using System;
using System.Buffers;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Read-KernelPipe's engine: takes bytes out of a pipe (or a FIFO or socket) into managed memory.
/// It never enters a blocking read: it waits with poll (Ctrl+C, time-out) and then reads no more
/// than FIONREAD says the pipe holds. Without a length it returns what the pipe holds once
/// something has arrived (so a writer that never stops cannot make it read forever); with one it
/// keeps reading until that many bytes or end of input.
/// </summary>
internal static class KernelPipeReader
{
    private const int MaxRead = 1024 * 1024;

    /// <summary>Reads from a KernelPipe's read end or from a pipe, FIFO or socket descriptor.</summary>
    public static byte[] Read(object? source, int? length, ReadinessWait wait)
    {
        var descriptor = Endpoint.AsSource(source, "Pipe");
        if (descriptor.Kind is not (FileKind.Pipe or FileKind.Fifo or FileKind.Socket))
        {
            throw new SpliceRefusedException(
                Refusal.UnsupportedInput,
                $"{descriptor.DisplayName} is a {descriptor.Kind}; Read-KernelPipe reads pipes, FIFOs and sockets (read a file with Get-Content, or move it with Invoke-Splice).");
        }

        var readEnd = descriptor.Handle;
        string name = source is KernelPipe pipe ? pipe.ToString() : descriptor.DisplayName;
        var received = new ArrayBufferWriter<byte>();
        int? limit = length;
        while (limit is not { } wanted || received.WrittenCount < wanted)
        {
            int available = Sys.BytesAvailable(readEnd, name);
            if (available == 0)
            {
                if (!wait.Until(readEnd, Flags.POLLIN, name))
                {
                    break; // no writers left: end of input
                }

                available = Sys.BytesAvailable(readEnd, name);
                if (available == 0 && descriptor.Kind != FileKind.Socket)
                {
                    continue; // another reader took it first
                }
            }

            // A socket whose peer has finished is readable with nothing queued: a read of one byte
            // gives 0 (by recv with MSG_DONTWAIT, so that even a blocking socket cannot block here).
            int wantedNow = limit is { } most ? most - received.WrittenCount : available;
            int chunk = Math.Clamp(Math.Min(available, wantedNow), 1, MaxRead);
            if (available > 0)
            {
                limit ??= available;
            }

            var into = received.GetSpan(chunk)[..chunk];
            long read = descriptor.Kind == FileKind.Socket ? Sys.ReceiveWithoutWaiting(readEnd, into, name) : Sys.Read(readEnd, into, name);
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
