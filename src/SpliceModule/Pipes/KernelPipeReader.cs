using System;
using System.Buffers;
using System.Runtime.InteropServices;
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

        string name = source is KernelPipe pipe ? pipe.ToString() : descriptor.DisplayName;
        var take = new TakeQueued(descriptor.Handle, name, descriptor.Kind == FileKind.Socket, new ArrayBufferWriter<byte>(), length);
        var ready = Readiness.ToRead(descriptor.Handle, name);
        while (take.Limit is not { } wanted || take.Received.WrittenCount < wanted)
        {
            if (wait.Retry(ref take, ready) == 0)
            {
                break; // no writers left (or the socket's peer has finished): end of input
            }
        }

        return take.Received.WrittenSpan.ToArray();
    }

    /// <summary>One read of no more than the pipe holds. Without a length the first bytes to
    /// arrive set the <see cref="Limit"/>: what the pipe held then.</summary>
    private struct TakeQueued : INonBlockingCall
    {
        private readonly SafeHandle _readEnd;
        private readonly string _name;
        private readonly bool _socket;

        public TakeQueued(SafeHandle readEnd, string name, bool socket, ArrayBufferWriter<byte> received, int? limit)
        {
            (_readEnd, _name, _socket, Received, Limit) = (readEnd, name, socket, received, limit);
        }

        public ArrayBufferWriter<byte> Received { get; }

        public int? Limit { get; private set; }

        public long Try()
        {
            int available = Sys.BytesAvailable(_readEnd, _name);
            if (available == 0 && !_socket)
            {
                return Sys.WouldBlock; // nothing yet, or another reader took it first
            }

            // A socket whose peer has finished is readable with nothing queued: a read of one byte
            // gives 0 (by recv with MSG_DONTWAIT, so that even a blocking socket cannot block here).
            int wantedNow = Limit is { } most ? most - Received.WrittenCount : available;
            int chunk = Math.Clamp(Math.Min(available, wantedNow), 1, MaxRead);
            if (available > 0)
            {
                Limit ??= available;
            }

            var into = Received.GetSpan(chunk)[..chunk];
            long read = _socket ? Sys.ReceiveWithoutWaiting(_readEnd, into, _name) : Sys.Read(_readEnd, into, _name);
            if (read > 0)
            {
                Received.Advance((int)read);
            }

            return read;
        }
    }
}
