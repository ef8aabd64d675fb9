using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// The one wait for a stream end (pipe, FIFO, socket) that is not ready: poll(2) in slices of at
/// most 200 ms, so that Ctrl+C is noticed within a fraction of a second and a blocking system call
/// is never entered on a descriptor that has nothing to give. An optional time-out bounds one wait.
/// <see cref="Retry{TCall}(ref TCall, in Readiness)"/> is the loop every non-blocking transfer call
/// goes through: make the call; on <see cref="Sys.WouldBlock"/> wait for the right end; again.
/// </summary>
internal sealed class ReadinessWait
{
    private const int SliceMs = 200;

    public ReadinessWait(CancellationToken cancellation, TimeSpan? timeout = null)
    {
        Cancellation = cancellation;
        Timeout = timeout;
    }

    /// <summary>Without Ctrl+C or a time-out; shared, as a wait holds nothing else.</summary>
    public static ReadinessWait Uncancellable { get; } = new(default);

    public CancellationToken Cancellation { get; }

    /// <summary>How long one wait may last; null waits until Ctrl+C.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>
    /// Makes <paramref name="call"/> until it does something: whenever it finds nothing to do
    /// (<see cref="Sys.WouldBlock"/>), waits until the ends in <paramref name="ends"/> are ready and
    /// makes it again; with <see cref="Readiness.WaitFirst"/> it waits before the first try too.
    /// Returns the call's count, or 0 at the end of input: the call said so, or the input's writers
    /// hung up with nothing left while it waited. Ctrl+C is honoured before every try and within a
    /// slice of every wait; the time-out counts from the first wait of this call, so an end that
    /// keeps polling ready while the call keeps finding nothing cannot wait for ever.
    /// </summary>
    /// <remarks>The call is a struct, so that this loop is compiled for each kind of call and runs
    /// without a delegate or an allocation: the splice loops make one call per 16 KiB slice.</remarks>
    public long Retry<TCall>(ref TCall call, in Readiness ends)
        where TCall : struct, INonBlockingCall
    {
        long started = 0;
        bool mustWait = ends.WaitFirst;
        while (true)
        {
            Cancellation.ThrowIfCancellationRequested();
            if (mustWait)
            {
                if (started == 0)
                {
                    started = Stopwatch.GetTimestamp();
                }
                else
                {
                    ThrowIfExpired(started, ends.Input is not null ? $"'{ends.InputPath}' had no data" : $"'{ends.OutputPath}' could take no data");
                }

                if (!WaitFor(ends, started))
                {
                    return 0;
                }
            }

            long result = call.Try();
            if (result != Sys.WouldBlock)
            {
                return result;
            }

            mustWait = true;
        }
    }

    /// <summary><see cref="Retry{TCall}(ref TCall, in Readiness)"/> for a call that keeps no state of its own.</summary>
    public long Retry<TCall>(TCall call, in Readiness ends)
        where TCall : struct, INonBlockingCall => Retry(ref call, ends);

    /// <summary>Writes all of <paramref name="bytes"/> to <paramref name="output"/> at its position,
    /// waiting (Ctrl+C, time-out) whenever it takes nothing: a socket, a FIFO, a device.</summary>
    public unsafe void WriteAll(SafeHandle output, ReadOnlySpan<byte> bytes, string path)
    {
        int done = 0;
        fixed (byte* start = bytes)
        {
            while (done < bytes.Length)
            {
                done += (int)Retry(new WriteCall(output, (nint)(start + done), bytes.Length - done, Sys.CurrentPosition, path), Readiness.ToWrite(output, path));
            }
        }
    }

    /// <summary>Returns true when <paramref name="events"/> happened. Waiting to read returns false
    /// when the peer has hung up with nothing left; waiting to write returns true on a hang-up so
    /// that the write itself reports EPIPE.</summary>
    public bool Until(SafeHandle handle, short events, string path) => Until(handle, events, path, Stopwatch.GetTimestamp());

    /// <summary>Sleeps one slice (for conditions poll cannot watch, such as a FIFO without a reader).</summary>
    public void Pause(long started, string what)
    {
        Cancellation.ThrowIfCancellationRequested();
        Cancellation.WaitHandle.WaitOne(100);
        Cancellation.ThrowIfCancellationRequested();
        ThrowIfExpired(started, what);
    }

    /// <summary>The one wait for a FIFO's reader. Opened for writing with O_NONBLOCK, a FIFO fails
    /// with ENXIO until some process opens it for reading, where a blocking open(2) would hang past
    /// Ctrl+C; so <paramref name="open"/> (which must pass O_NONBLOCK) is tried again every slice.</summary>
    public SafeFileHandle OpenWhenFifoHasReader(Func<SafeFileHandle> open, string path)
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return open();
            }
            catch (SpliceException e) when (e.Errno == Errno.ENXIO)
            {
                Pause(started, $"No process opened the FIFO '{path}' for reading");
            }
        }
    }

    /// <summary>A cancellation token that also fires when the time-out passes (for .NET socket calls).</summary>
    public CancellationTokenSource LinkedWithTimeout()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        if (Timeout is { } timeout)
        {
            source.CancelAfter(timeout);
        }

        return source;
    }

    public TimeoutException Expired(string what) =>
        new($"{what} within {Timeout?.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (-TimeoutSec).");

    /// <summary>Input first: when it has ended there is nothing to wait for on the output. A TCP
    /// input that batches (<see cref="ReceiveBatching"/>) is ready when its batch is.</summary>
    private bool WaitFor(in Readiness ends, long started)
    {
        if (ends.Input is { } input && ends.Batching?.WaitForBatch() != true && !Until(input, Flags.POLLIN, ends.InputPath, started))
        {
            return false;
        }

        if (ends.Output is { } output)
        {
            Until(output, Flags.POLLOUT, ends.OutputPath, started);
        }

        return true;
    }

    private bool Until(SafeHandle handle, short events, string path, long started)
    {
        while (true)
        {
            Cancellation.ThrowIfCancellationRequested();
            short revents = Sys.Poll(handle, events, SliceMs, path);
            if ((revents & events) != 0)
            {
                return true;
            }

            if ((revents & (Flags.POLLHUP | Flags.POLLERR)) != 0)
            {
                return (events & Flags.POLLOUT) != 0;
            }

            if ((revents & Flags.POLLNVAL) != 0)
            {
                throw new ObjectDisposedException(path, $"The descriptor of '{path}' was closed while waiting on it.");
            }

            ThrowIfExpired(started, (events & Flags.POLLOUT) != 0 ? $"'{path}' could take no data" : $"'{path}' had no data");
        }
    }

    private void ThrowIfExpired(long started, string what)
    {
        if (Timeout is { } timeout && Stopwatch.GetElapsedTime(started) >= timeout)
        {
            throw Expired(what);
        }
    }
}

/// <summary>One non-blocking system call that <see cref="ReadinessWait.Retry{TCall}(ref TCall, in Readiness)"/>
/// makes again until it does something (the common ones are in NonBlockingCalls.cs).</summary>
internal interface INonBlockingCall
{
    /// <summary>Makes the call once: a count, 0 at the end of input, or <see cref="Sys.WouldBlock"/>.</summary>
    long Try();
}

/// <summary>What a non-blocking call waits for when it cannot go on: its input to be readable, its
/// output to take data, or both (each end null when it never waits, e.g. a regular file).</summary>
internal readonly record struct Readiness(SafeHandle? Input, string InputPath, SafeHandle? Output, string OutputPath)
{
    /// <summary>Wait before the first try as well: the end may be a descriptor that blocks (a
    /// socket or device in blocking mode, where the call itself would block Ctrl+C), or a FIFO whose
    /// writer has not yet come, which a non-blocking call reads as end of input.</summary>
    public bool WaitFirst { get; init; }

    /// <summary>SO_RCVLOWAT batching of a TCP input: its batch being ready is the input being ready.</summary>
    public ReceiveBatching? Batching { get; init; }

    /// <summary>A call whose only reason to find nothing to do is an empty input.</summary>
    public static Readiness ToRead(SafeHandle input, string? path) => new(input, path ?? "input", null, string.Empty);

    /// <summary>A call whose only reason to find nothing to do is a full output.</summary>
    public static Readiness ToWrite(SafeHandle output, string? path) => new(null, string.Empty, output, path ?? "output");
}
