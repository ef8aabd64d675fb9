using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The one readiness loop: try, wait for the named end on EAGAIN, try again; end of input,
/// Ctrl+C and the time-out end it.</summary>
public class ReadinessWaitTests
{
    [Fact]
    public void AFullPipeIsWaitedOnUntilAReaderMakesRoom()
    {
        using var pipe = KernelPipe.Create(capacity: 4096, nonBlocking: true);
        Assert.Equal(4096, Sys.Write(pipe.WriteEnd.Handle, new byte[4096]));
        var reader = new Thread(() =>
        {
            Thread.Sleep(300);
            Sys.Read(pipe.ReadEnd.Handle, new byte[4096]);
        });
        reader.Start();

        var call = new Counting(new WriteOnce(pipe.WriteEnd.Handle));
        long written = new ReadinessWait(default, TimeSpan.FromSeconds(10)).Retry(ref call, Readiness.ToWrite(pipe.WriteEnd.Handle, "pipe"));

        Assert.True(reader.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, written);
        Assert.Equal(2, call.Tries); // once refused, once after the wait: no spinning in between
    }

    [Fact]
    public void WaitingFirstOnAPipeWithoutWritersIsEndOfInputWithoutATry()
    {
        using var pipe = KernelPipe.Create(nonBlocking: true);
        pipe.WriteEnd.Dispose();
        var call = new Counting(new ReadOnce(pipe.ReadEnd.Handle));

        long read = new ReadinessWait(default, TimeSpan.FromSeconds(5)).Retry(ref call, Readiness.ToRead(pipe.ReadEnd.Handle, "pipe") with { WaitFirst = true });

        Assert.Equal(0, read);
        Assert.Equal(0, call.Tries);
    }

    [Fact]
    public void ACallThatKeepsFindingNothingEndsWithTheTimeoutCountedFromTheFirstWait()
    {
        using var pipe = KernelPipe.Create(nonBlocking: true);
        Sys.Write(pipe.WriteEnd.Handle, "x"u8);
        var clock = Stopwatch.StartNew();

        // The input polls ready (it holds a byte), but the call never gets through.
        var call = new Counting(new Refused());
        Assert.Throws<TimeoutException>(() => new ReadinessWait(default, TimeSpan.FromMilliseconds(300)).Retry(ref call, Readiness.ToRead(pipe.ReadEnd.Handle, "pipe")));

        Assert.InRange(clock.ElapsedMilliseconds, 250, 5000);
    }

    [Fact]
    public void CtrlCEndsAWaitOnAQuietPipeWithinASecond()
    {
        using var pipe = KernelPipe.Create(nonBlocking: true);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        var call = new Counting(new ReadOnce(pipe.ReadEnd.Handle));

        Assert.ThrowsAny<OperationCanceledException>(() => new ReadinessWait(stop.Token).Retry(ref call, Readiness.ToRead(pipe.ReadEnd.Handle, "pipe")));

        Assert.InRange(clock.ElapsedMilliseconds, 0, 5000); // a generous bound for "did not hang": the slice is 200 ms, a loaded machine is slow
        Assert.Equal(1, call.Tries);
    }

    private struct Counting : INonBlockingCall
    {
        private readonly INonBlockingCall _inner;

        public Counting(INonBlockingCall inner) => _inner = inner;

        public int Tries { get; private set; }

        public long Try()
        {
            Tries++;
            return _inner.Try();
        }
    }

    private sealed class WriteOnce(SafeHandle pipe) : INonBlockingCall
    {
        public long Try() => Sys.Write(pipe, "y"u8);
    }

    private sealed class ReadOnce(SafeHandle pipe) : INonBlockingCall
    {
        public long Try() => Sys.Read(pipe, new byte[16]);
    }

    private sealed class Refused : INonBlockingCall
    {
        public long Try() => Sys.WouldBlock;
    }
}
