using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace SpliceModule.Transfer;

/// <summary>
/// The receiving end's listening socket for one data connection: bound to one address only (the
/// address the PSSession already uses on this host), on a port the kernel picks, with a backlog of
/// a few. <see cref="Accept"/> takes the first connection that presents the expected secret within
/// <see cref="HandshakeTimeout"/> of connecting (connections are let in at once and heard side by
/// side); any other is closed without a byte read past the secret. The port is closed as soon as the right peer is in, and on every way out (Dispose).
/// </summary>
internal sealed class DataListener : IDisposable
{
    /// <summary>How long a connection may take to present its secret before it is dropped.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Connections waiting to be accepted at most: a striped copy's all at once, and a few more.</summary>
    private const int Backlog = 8;

    /// <summary>Connections whose secret is awaited at once, at most.</summary>
    private const int MaxHandshakes = 64;

    /// <summary>How long one wait lasts before Ctrl+C and the time-outs are looked at again.</summary>
    private const int SliceMicroseconds = 200_000;

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
    /// secret of its own, taken once), then stops listening: the sockets in the secrets' order.
    /// Connections are let in as they come and their secrets read side by side, each within
    /// <see cref="HandshakeTimeout"/> of its arrival: anyone who can reach the port (any local
    /// user) and opens connections that send nothing delays the right peer by nothing, where one
    /// handshake at a time let a few such connections hold it off until the copy timed out.</summary>
    public Socket[] AcceptAll(byte[][] secrets, ReadinessWait wait)
    {
        long started = Stopwatch.GetTimestamp();
        string display = $"tcp://{EndPoint}";
        var peers = new Socket?[secrets.Length];
        var pending = new List<Handshake>();
        var readable = new List<Socket>();
        int arrived = 0;
        try
        {
            while (arrived < secrets.Length)
            {
                wait.Cancellation.ThrowIfCancellationRequested();
                if (wait.Timeout is { } limit && Stopwatch.GetElapsedTime(started) > limit)
                {
                    throw NoPeer(display, limit);
                }

                readable.Clear();
                readable.Add(_socket);
                readable.AddRange(pending.Select(h => h.Peer));
                try
                {
                    Socket.Select(readable, null, null, SliceMicroseconds);
                    if (readable.Contains(_socket))
                    {
                        TakeWaiting(pending);
                    }
                }
                catch (ObjectDisposedException)
                {
                    throw new RemoteCopyException("DataConnectionRefused", $"The listening socket {display} was closed.");
                }

                foreach (var handshake in pending.ToArray())
                {
                    int which = readable.Contains(handshake.Peer) ? handshake.Read(secrets, peers) : Handshake.Unfinished;
                    if (which >= 0)
                    {
                        pending.Remove(handshake);
                        peers[which] = handshake.Peer;
                        arrived++;
                    }
                    else if (which == Handshake.Failed || Stopwatch.GetElapsedTime(handshake.Arrived) > HandshakeTimeout)
                    {
                        Drop(pending, handshake);
                    }
                }
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
        finally
        {
            foreach (var handshake in pending)
            {
                handshake.Peer.Dispose();
            }
        }
    }

    /// <summary>Lets in every connection waiting; past <see cref="MaxHandshakes"/> at once the
    /// oldest is dropped (a flood cannot grow this without bound, and the right peer, which sends
    /// its secret at once, is rarely the oldest).</summary>
    private void TakeWaiting(List<Handshake> pending)
    {
        while (true)
        {
            Socket peer;
            try
            {
                peer = _socket.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.ConnectionAborted)
            {
                return;
            }

            peer.Blocking = false;
            pending.Add(new Handshake(peer, Stopwatch.GetTimestamp()));
            if (pending.Count > MaxHandshakes)
            {
                Drop(pending, pending[0]);
            }
        }
    }

    private void Drop(List<Handshake> pending, Handshake handshake)
    {
        pending.Remove(handshake);
        handshake.Peer.Dispose();
        Refused++;
    }

    private static RemoteCopyException NoPeer(string display, TimeSpan limit) =>
        new("DataConnectionTimeout", $"No peer presented the secret at {display} within {limit.TotalSeconds} s: a firewall may block direct connections between these hosts; -Transport Session sends the bytes through the PSSession instead.");

    /// <summary>One connection let in, its secret read as it comes, never a byte past it.</summary>
    private sealed class Handshake
    {
        public const int Unfinished = -1;
        public const int Failed = -2;
        private readonly byte[] _presented = new byte[ChannelSecret.Length];
        private int _got;

        public Handshake(Socket peer, long arrived)
        {
            Peer = peer;
            Arrived = arrived;
        }

        public Socket Peer { get; }

        public long Arrived { get; }

        /// <summary>Reads what has come of the secret: which secret not yet taken it is, once whole;
        /// <see cref="Unfinished"/>; or <see cref="Failed"/> (closed, an error, a wrong secret).</summary>
        public int Read(byte[][] secrets, Socket?[] taken)
        {
            int count = Peer.Receive(_presented.AsSpan(_got), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return Unfinished;
            }

            if (error != SocketError.Success || count == 0)
            {
                return Failed;
            }

            _got += count;
            if (_got < _presented.Length)
            {
                return Unfinished;
            }

            int found = Failed;
            for (int i = 0; i < secrets.Length; i++)
            {
                // Every secret compared, in fixed time, whichever matches.
                if (ChannelSecret.Matches(_presented, secrets[i]) && taken[i] is null)
                {
                    found = i;
                }
            }

            return found;
        }
    }

    public void Dispose() => _socket.Dispose();
}
