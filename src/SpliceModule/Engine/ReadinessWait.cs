using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Waits for a stream end (pipe, FIFO, socket) to become ready with poll(2) in slices of at most
/// 200 ms, so that Ctrl+C is noticed within a fraction of a second and a blocking system call is
/// never entered on a descriptor that has nothing to give. An optional time-out bounds one wait.
/// </summary>
internal sealed class ReadinessWait
{
    private const int SliceMs = 200;

    public ReadinessWait(CancellationToken cancellation, TimeSpan? timeout = null)
    {
        Cancellation = cancellation;
        Timeout = timeout;
    }

    public CancellationToken Cancellation { get; }

    /// <summary>How long one wait may last; null waits until Ctrl+C.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>Returns true when <paramref name="events"/> happened. Waiting to read returns false
    /// when the peer has hung up with nothing left; waiting to write returns true on a hang-up so
    /// that the write itself reports EPIPE.</summary>
    public bool Until(SafeHandle handle, short events, string path)
    {
        long started = Stopwatch.GetTimestamp();
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

    /// <summary>Sleeps one slice (for conditions poll cannot watch, such as a FIFO without a reader).</summary>
    public void Pause(long started, string what)
    {
        Cancellation.ThrowIfCancellationRequested();
        Cancellation.WaitHandle.WaitOne(100);
        Cancellation.ThrowIfCancellationRequested();
        ThrowIfExpired(started, what);
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

    private void ThrowIfExpired(long started, string what)
    {
        if (Timeout is { } timeout && Stopwatch.GetElapsedTime(started) >= timeout)
        {
            throw Expired(what);
        }
    }
}
