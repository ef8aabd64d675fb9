using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace SpliceModule.Transfer;

/// <summary>
/// Encrypted sending, to one host or several: one thread reads the file once and seals each record
/// once (<see cref="Produce"/>) into a ring of a few records, and each host's own thread sends the
/// sealed bytes on its connection (<see cref="Send"/>). With one host this pipelines reading and
/// sealing with sending; with several, every host gets the same records under the copy's one key
/// (each nonce seals one plaintext only, sent to all: Remote/README.md argues it).
/// The ring bounds what a slow host may hold the others back by: the sealer waits for the slowest
/// host still in, so a host that is slow but moving sets the pace; one whose connection fails
/// leaves, and one that takes nothing for <see cref="StallLimit"/> while the ring is full and
/// other hosts wait is left behind (its connection shut, its copy failed), well before the others'
/// receivers would give up on their own quiet connections. A failure of the sealer (the source,
/// Ctrl+C) fails every host.
/// </summary>
internal sealed class SealedFanOut : IDisposable
{
    /// <summary>Records the ring holds: what a slow host may fall behind by before the others wait.</summary>
    public const int Slots = 8;

    private const uint ToReceiver = 1;
    /// <summary>How long a host may take nothing while the others wait for it: a third of the
    /// idle time-out after which their receivers would fail.</summary>
    public static readonly TimeSpan StallLimit = DataPath.IdleTimeout / 3;

    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(100);

    private readonly object _gate = new();
    private readonly OutgoingFile _file;
    private readonly SealedRecords _sealer;
    private readonly CancellationToken _cancellation;
    private readonly byte[][] _ring = new byte[Slots][];
    private readonly int[] _wireLength = new int[Slots];
    private readonly int[] _plainLength = new int[Slots];
    private readonly Member[] _members;
    private readonly long[] _sent;
    private readonly long[] _movedAt;
    private readonly SocketStream?[] _streams;
    private readonly bool[] _leftBehind;
    private long _sealed;
    private bool _ended;
    private ExceptionDispatchInfo? _failure;

    private enum Member
    {
        Pending,
        In,
        Gone,
    }

    public SealedFanOut(OutgoingFile file, byte[] key, int hosts, CancellationToken cancellation)
    {
        _file = file;
        _sealer = new SealedRecords(null, key, ToReceiver);
        _cancellation = cancellation;
        _members = new Member[hosts];
        _sent = new long[hosts];
        _movedAt = new long[hosts];
        _streams = new SocketStream?[hosts];
        _leftBehind = new bool[hosts];
        for (int i = 0; i < Slots; i++)
        {
            _ring[i] = new byte[SealedRecords.MaxWire];
        }
    }

    /// <summary>One host's connection, sealed records all the way to the empty one that ends the
    /// stream. The sealer starts once every host has come in (or gone), so none misses a record.</summary>
    public static long SendAlone(OutgoingFile file, byte[] key, SocketStream stream, CancellationToken cancellation, Action<long>? progress)
    {
        using var fan = new SealedFanOut(file, key, 1, cancellation);
        var sealing = System.Threading.Tasks.Task.Run(fan.Produce);
        try
        {
            return fan.Send(0, stream, progress);
        }
        finally
        {
            fan.Leave(0);
            sealing.Wait(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>The sealing thread's work: returns when every host has the last record or is gone.</summary>
    public void Produce()
    {
        try
        {
            lock (_gate)
            {
                WaitWhile(() => Array.IndexOf(_members, Member.Pending) >= 0);
            }

            foreach (var chunk in _file.Chunks(SealedRecords.MaxRecord, _cancellation))
            {
                if (!Publish(chunk.Span))
                {
                    return;
                }
            }

            Publish(ReadOnlySpan<byte>.Empty);
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Seals the next record into its slot once every host still in has sent what was
    /// there; false when no host is left.</summary>
    private bool Publish(ReadOnlySpan<byte> plain)
    {
        long next;
        lock (_gate)
        {
            next = _sealed;
            WaitWhile(() => LiveHosts() > 0 && SlowestSent() <= next - Slots, () => LeaveBehind(next - Slots));
            if (LiveHosts() == 0)
            {
                return false;
            }
        }

        int slot = (int)(next % Slots);
        _wireLength[slot] = _sealer.Seal(plain, _ring[slot]);
        _plainLength[slot] = plain.Length;
        lock (_gate)
        {
            _sealed = next + 1;
            _ended = plain.IsEmpty;
            Monitor.PulseAll(_gate);
        }

        return true;
    }

    /// <summary>Host <paramref name="member"/>'s sending thread: every record in turn on its
    /// connection; returns the file bytes sent. Its failure is its own: it leaves, the others go on.</summary>
    public long Send(int member, SocketStream stream, Action<long>? progress)
    {
        long bytes = 0;
        try
        {
            lock (_gate)
            {
                _members[member] = Member.In;
                _streams[member] = stream;
                _movedAt[member] = System.Diagnostics.Stopwatch.GetTimestamp();
                Monitor.PulseAll(_gate);
            }

            for (long record = 0; ; record++)
            {
                bool last;
                lock (_gate)
                {
                    WaitWhile(() => _sealed <= record && _failure is null && !_leftBehind[member]);
                    ThrowIfLeftBehind(member, stream);
                    _failure?.Throw();
                    last = _ended && record == _sealed - 1;
                }

                // The slot is not sealed over until this host's count passes it.
                int slot = (int)(record % Slots);
                stream.WriteAll(_ring[slot].AsSpan(0, _wireLength[slot]));
                bytes += _plainLength[slot];
                progress?.Invoke(bytes);
                lock (_gate)
                {
                    ThrowIfLeftBehind(member, stream);
                    _sent[member] = record + 1;
                    _movedAt[member] = System.Diagnostics.Stopwatch.GetTimestamp();
                    Monitor.PulseAll(_gate);
                }

                if (last)
                {
                    return bytes;
                }
            }
        }
        catch (Exception e) when (_leftBehind[member] && e is not RemoteCopyException)
        {
            // Its connection was shut under it: say why rather than how the write failed.
            Leave(member);
            throw LeftBehind(stream);
        }
        catch
        {
            Leave(member);
            throw;
        }
    }

    /// <summary>With the gate held and the ring full: hosts still at <paramref name="behind"/>
    /// that have taken nothing for <see cref="StallLimit"/> leave while another host is waiting.</summary>
    private void LeaveBehind(long behind)
    {
        if (LiveHosts() < 2)
        {
            return;
        }

        for (int i = 0; i < _members.Length; i++)
        {
            if (_members[i] == Member.In && _sent[i] <= behind && System.Diagnostics.Stopwatch.GetElapsedTime(_movedAt[i]) > StallLimit && LiveHosts() > 1)
            {
                _members[i] = Member.Gone;
                _leftBehind[i] = true;
                try
                {
                    _streams[i]!.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // Already closed: its own thread fails anyway.
                }

                Monitor.PulseAll(_gate);
            }
        }
    }

    private void ThrowIfLeftBehind(int member, SocketStream stream)
    {
        if (_leftBehind[member])
        {
            throw LeftBehind(stream);
        }
    }

    private static RemoteCopyException LeftBehind(SocketStream stream) =>
        new("DataConnectionTimeout", $"The data connection {stream.Display} took nothing for {StallLimit.TotalSeconds} s while the other hosts of this copy waited for it, so it was left behind and they went on.");

    /// <summary>A host that will send no more (its far end failed before connecting, or its
    /// connection did); a no-op for a host that has all it needs.</summary>
    public void Leave(int member)
    {
        lock (_gate)
        {
            _members[member] = Member.Gone;
            Monitor.PulseAll(_gate);
        }
    }

    private int LiveHosts()
    {
        int live = 0;
        foreach (var state in _members)
        {
            live += state == Member.Gone ? 0 : 1;
        }

        return live;
    }

    private long SlowestSent()
    {
        long slowest = long.MaxValue;
        for (int i = 0; i < _members.Length; i++)
        {
            if (_members[i] != Member.Gone)
            {
                slowest = Math.Min(slowest, _members[i] == Member.Pending ? 0 : _sent[i]);
            }
        }

        return slowest;
    }

    /// <summary>Waits on the gate (held) while <paramref name="condition"/> holds, Ctrl+C honoured;
    /// <paramref name="each"/> runs after every slice.</summary>
    private void WaitWhile(Func<bool> condition, Action? each = null)
    {
        while (condition())
        {
            _cancellation.ThrowIfCancellationRequested();
            Monitor.Wait(_gate, Slice);
            each?.Invoke();
        }
    }

    public void Dispose() => _sealer.Dispose();
}
