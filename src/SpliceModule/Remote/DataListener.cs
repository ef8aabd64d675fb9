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

    /// <summary>Connections waiting to be accepted at most: a striped copy's all at once, and a few more.</summary>
    private const int Backlog = 8;

    private readonly Socket _socket;

    public DataListener(IPAddress address)
    {
        _socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _socket.Bind(new IPEndPoint(address, 0));
            _socket.Listen(Backlog);
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
    public Socket Accept(ReadOnlySpan<byte> secret, ReadinessWait wait) => AcceptAll(new[] { secret.ToArray() }, wait)[0];

    /// <summary>Waits for one peer per secret (the connections of a striped copy, each with a
    /// secret of its own, taken once), then stops listening: the sockets in the secrets' order.</summary>
    public Socket[] AcceptAll(byte[][] secrets, ReadinessWait wait)
    {
        long started = Stopwatch.GetTimestamp();
        string display = $"tcp://{EndPoint}";
        var peers = new Socket?[secrets.Length];
        int arrived = 0;
        Span<byte> presented = stackalloc byte[ChannelSecret.Length];
        try
        {
            while (arrived < secrets.Length)
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

                int which = Presents(peer, secrets, peers, presented, wait);
                if (which < 0)
                {
                    Refused++;
                    peer.Dispose();
                    continue;
                }

                peers[which] = peer;
                arrived++;
            }

            _socket.Close();
            return peers!;
        }
        catch
        {
            foreach (var peer in peers)
            {
                peer?.Dispose();
            }

            throw;
        }
    }

    private static RemoteCopyException NoPeer(string display, TimeSpan limit) =>
        new("DataConnectionTimeout", $"No peer presented the secret at {display} within {limit.TotalSeconds} s: a firewall may block direct connections between these hosts; -Transport Session sends the bytes through the PSSession instead.");

    /// <summary>Which secret not yet taken the peer presented within the handshake time, or -1.</summary>
    private static int Presents(Socket peer, byte[][] secrets, Socket?[] taken, Span<byte> presented, ReadinessWait outer)
    {
        try
        {
            var stream = new SocketStream(peer, $"tcp://{peer.RemoteEndPoint}", new ReadinessWait(outer.Cancellation, HandshakeTimeout));
            if (!stream.TryReadExactly(presented))
            {
                return -1;
            }
        }
        catch (Exception e) when (e is TimeoutException or System.IO.IOException or SocketException)
        {
            return -1;
        }

        int found = -1;
        for (int i = 0; i < secrets.Length; i++)
        {
            // Every secret compared, in fixed time, whichever matches.
            if (ChannelSecret.Matches(presented, secrets[i]) && taken[i] is null)
            {
                found = i;
            }
        }

        return found;
    }

    public void Dispose() => _socket.Dispose();
}
