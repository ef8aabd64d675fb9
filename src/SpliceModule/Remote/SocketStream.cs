using System;
using System.Net.Sockets;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Whole reads and writes on a non-blocking data socket, waited for with <see cref="ReadinessWait"/>
/// (Ctrl+C within a slice, and a peer or link that goes quiet for longer than the wait's time-out
/// is a <see cref="TimeoutException"/>). A peer that closes early is an error naming how far it got.
/// </summary>
internal sealed class SocketStream
{
    public SocketStream(Socket socket, string display, ReadinessWait wait)
    {
        Socket = socket;
        Display = display;
        Wait = wait;
        socket.Blocking = false;
    }

    public Socket Socket { get; }

    public string Display { get; }

    public ReadinessWait Wait { get; }

    /// <summary>Fills <paramref name="buffer"/>; false when the peer closed before the first byte.</summary>
    public unsafe bool TryReadExactly(Span<byte> buffer)
    {
        int done = 0;
        fixed (byte* bytes = buffer)
        {
            while (done < buffer.Length)
            {
                long read = Wait.Retry(new ReadCall(Socket.SafeHandle, (nint)(bytes + done), buffer.Length - done, Sys.CurrentPosition, Display), Readiness.ToRead(Socket.SafeHandle, Display));
                if (read == 0)
                {
                    return done == 0 ? false : throw Ended(done, buffer.Length);
                }

                done += (int)read;
            }
        }

        return true;
    }

    /// <summary>Whatever has arrived, at least one byte (waiting for it); 0 when the peer closed.</summary>
    public unsafe int ReadSome(Span<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            return (int)Wait.Retry(new ReadCall(Socket.SafeHandle, (nint)bytes, buffer.Length, Sys.CurrentPosition, Display), Readiness.ToRead(Socket.SafeHandle, Display));
        }
    }

    public void ReadExactly(Span<byte> buffer)
    {
        if (!TryReadExactly(buffer))
        {
            throw Ended(0, buffer.Length);
        }
    }

    public void WriteAll(ReadOnlySpan<byte> buffer) => Wait.WriteAll(Socket.SafeHandle, buffer, Display);

    public System.IO.IOException Ended(long got, long expected) =>
        new RemoteCopyException("DataConnectionLost", $"The data connection {Display} closed after {got} of {expected} bytes: the other end stopped or the link went down.");
}
