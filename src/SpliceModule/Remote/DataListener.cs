using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SpliceModule.Transfer;

/// <summary>
/// The receiving end's listening socket for one data connection: bound to one address only (the
/// address the PSSession already uses on this host), on a port the kernel picks, with a backlog of
/// a few. <see cref="Accept"/> takes the first connection that presents the expected secret within
/// <see cref="HandshakeTimeout"/> of connecting; any other is closed without a byte read past the
/// secret. The port is closed as soon as the right peer is in, and on every way out (Dispose).
/// </summary>
internal sealed class DataListener : IDisposable
{
    /// <summary>How long a connection may take to present its secret before it is dropped.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(3);

    private readonly Socket _socket;

    public DataListener(IPAddress address)
    {
        _socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _socket.Bind(new IPEndPoint(address, 0));
            _socket.Listen(4);
            _socket.Blocking = false;
            EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Connections closed because they did not present the secret in time.</summary>
    public int Refused { get; private set; }

    /// <summary>Waits (Ctrl+C and the wait's time-out honoured) for the peer that knows
    /// <paramref name="secret"/>, then stops listening.</summary>
    public Socket Accept(ReadOnlySpan<byte> secret, ReadinessWait wait)
    {
        long started = Stopwatch.GetTimestamp();
        string display = $"tcp://{EndPoint}";
        Span<byte> presented = stackalloc byte[ChannelSecret.Length];
        while (true)
        {
            if (wait.Timeout is { } limit && Stopwatch.GetElapsedTime(started) > limit)
            {
                throw NoPeer(display, limit);
            }

            try
            {
                if (!wait.Until(_socket.SafeHandle, Interop.Flags.POLLIN, display))
                {
                    throw new RemoteCopyException("DataConnectionRefused", $"The listening socket {display} was closed.");
                }
            }
            catch (TimeoutException)
            {
                throw NoPeer(display, wait.Timeout ?? TimeSpan.Zero);
            }

            Socket peer;
            try
            {
                peer = _socket.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                continue;
            }

            if (Presents(peer, secret, presented, wait))
            {
                _socket.Close();
                return peer;
            }

            Refused++;
            peer.Dispose();
        }
    }

    private static RemoteCopyException NoPeer(string display, TimeSpan limit) =>
        new("DataConnectionTimeout", $"No peer presented the secret at {display} within {limit.TotalSeconds} s: a firewall may block direct connections between these hosts; -Transport Session sends the bytes through the PSSession instead.");

    private static bool Presents(Socket peer, ReadOnlySpan<byte> secret, Span<byte> presented, ReadinessWait outer)
    {
        try
        {
            var stream = new SocketStream(peer, $"tcp://{peer.RemoteEndPoint}", new ReadinessWait(outer.Cancellation, HandshakeTimeout));
            return stream.TryReadExactly(presented) && ChannelSecret.Matches(presented, secret);
        }
        catch (Exception e) when (e is TimeoutException or System.IO.IOException or SocketException)
        {
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}
