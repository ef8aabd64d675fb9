using System;
using System.Diagnostics;
using System.Threading;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

public class PipelineEngineTests
{
    [Fact]
    public unsafe void ArenaNeverHandsOutTheSameBytesTwiceUntilRewound()
    {
        using var arena = new SplicePageArena();
        var marked = new byte[100];
        Array.Fill(marked, (byte)0xFF);
        var first = arena.Place(marked);
        var second = arena.Place(new byte[100]);
        Assert.Equal(100, first.Length);
        Assert.Equal(first.Memory + 100, second.Memory);

        // A region fills up and the next piece comes from a fresh mapping, never from the start again.
        var filler = new byte[SplicePageArena.RegionSize];
        Array.Fill(filler, (byte)0x01);
        var rest = arena.Place(filler);
        Assert.Equal(SplicePageArena.RegionSize - 200, rest.Length);
        // The kernel may map the new region at the old address, but with fresh zeroed pages: the
        // pipe keeps the old pages, and the old bytes are nowhere in the new region.
        var fresh = arena.Place(new byte[10]);
        Assert.Equal(0, (long)fresh.Memory % 4096);
        Assert.Equal(0, ((byte*)fresh.Memory)[50]);

        arena.Rewind();
        Assert.Equal(fresh.Memory, arena.Place(new byte[] { 1, 2, 3 }).Memory);
    }

    [Fact]
    public unsafe void ArenaMapsARepeatedBlockFromTheSamePagesWithoutCopying()
    {
        using var arena = new SplicePageArena();
        var block = new byte[4096];
        Random.Shared.NextBytes(block);
        var first = arena.Place(block);
        var again = arena.Place((byte[])block.Clone());
        Assert.Equal(first, again);

        // The caller changing its array afterwards gives new pages; the old ones keep the old bytes.
        var original = (byte[])block.Clone();
        block[7] ^= 0xFF;
        var changed = arena.Place(block);
        Assert.NotEqual(first.Memory, changed.Memory);
        Assert.True(new ReadOnlySpan<byte>((byte*)first.Memory, first.Length).SequenceEqual(original));
        Assert.True(new ReadOnlySpan<byte>((byte*)changed.Memory, changed.Length).SequenceEqual(block));

        // A longer input that starts with the last block reuses it for that prefix only.
        var longer = new byte[block.Length + 10];
        block.CopyTo(longer, 0);
        var prefix = arena.Place(longer);
        Assert.Equal(changed, prefix);
    }

    [Fact]
    public void VmSplicedBytesSurviveTheCallersChanges()
    {
        using var pipe = KernelPipe.Create();
        var data = new byte[10000];
        Array.Fill(data, (byte)0xAB);
        using (var writer = VmSpliceWriter.IntoPipe(pipe, new ReadinessWait(default)))
        {
            writer.Write(data);
            Array.Fill(data, (byte)0xCD);
            Assert.Equal(10000, writer.Bytes);
        }

        var back = KernelPipeReader.Read(pipe, null, new ReadinessWait(default));
        Assert.Equal(10000, back.Length);
        Assert.All(back, b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void StagedWritesComeOutEndToEndAndAsWholePagesWhenAsked()
    {
        using var arena = new SplicePageArena();
        int page = Environment.SystemPageSize;
        var line = new byte[1000];
        Assert.True(arena.TryStage(line));
        Assert.Equal(0, arena.TakeStaged(wholePagesOnly: true).Length);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(arena.TryStage(line));
        }

        var pages = arena.TakeStaged(wholePagesOnly: true);
        Assert.Equal(page, pages.Length);
        Assert.Equal(5000 - page, arena.StagedLength);
        var rest = arena.TakeStaged(wholePagesOnly: false);
        Assert.Equal(pages.Memory + page, rest.Memory);
        Assert.Equal(5000 - page, rest.Length);
        Assert.Equal(0, arena.StagedLength);
    }

    [Fact]
    public void ShortWritesFillAPipesBytesRatherThanItsSlots()
    {
        using var pipe = KernelPipe.Create();
        var line = "line 0123\n"u8.ToArray();
        using (var writer = VmSpliceWriter.IntoPipe(pipe, new ReadinessWait(default, TimeSpan.FromSeconds(2))))
        {
            for (int i = 0; i < 1000; i++)
            {
                writer.Write(line);
            }

            writer.Flush();
            Assert.Equal(10000, writer.Bytes);
        }

        Assert.Equal(10000, pipe.BytesAvailable);
    }

    [Fact]
    public void WaitingOnAnIdlePipeEndsWithTheTimeout()
    {
        using var pipe = KernelPipe.Create();
        var clock = Stopwatch.StartNew();
        var wait = new ReadinessWait(default, TimeSpan.FromMilliseconds(300));
        Assert.Throws<TimeoutException>(() => wait.Until(pipe.ReadEnd.Handle, Flags.POLLIN, "idle"));
        Assert.InRange(clock.ElapsedMilliseconds, 250, 5000);
    }

    [Fact]
    public void WaitingEndsSoonAfterCancellation()
    {
        using var pipe = KernelPipe.Create();
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => new ReadinessWait(stop.Token).Until(pipe.ReadEnd.Handle, Flags.POLLIN, "idle"));
        Assert.InRange(clock.ElapsedMilliseconds, 0, 2000);
    }

    [Fact]
    public void ReadingAPipeWithoutWritersIsEndOfInput()
    {
        using var pipe = KernelPipe.Create();
        pipe.WriteEnd.Dispose();
        Assert.False(new ReadinessWait(default, TimeSpan.FromSeconds(5)).Until(pipe.ReadEnd.Handle, Flags.POLLIN, "pipe"));
        Assert.Empty(KernelPipeReader.Read(pipe, 100, new ReadinessWait(default, TimeSpan.FromSeconds(5))));
    }

    [Fact]
    public void EndpointsRefuseTheWrongDirection()
    {
        using var pipe = KernelPipe.Create();
        Assert.Equal(Refusal.SourceNotReadable, Assert.Throws<SpliceRefusedException>(() => Endpoint.AsSource(pipe.WriteEnd)).Reason);
        Assert.Equal(Refusal.DestinationNotWritable, Assert.Throws<SpliceRefusedException>(() => Endpoint.AsDestination(pipe.ReadEnd)).Reason);
        Assert.Same(pipe.ReadEnd, Endpoint.AsSource(pipe));
        Assert.Same(pipe.WriteEnd, Endpoint.AsDestination(pipe));
        Assert.Equal(Refusal.OffsetNotSupported, Assert.Throws<SpliceRefusedException>(() => Endpoint.RequireSeekable(pipe.ReadEnd, "SourceOffset")).Reason);
    }

    [Fact]
    public void TeeLeavesTheSourceFull()
    {
        using var source = KernelPipe.Create();
        using var copy = KernelPipe.Create();
        Sys.Write(source.WriteEnd.Handle, "duplicate me"u8);
        var result = PipeTee.Into(source, copy, null, new ReadinessWait(default, TimeSpan.FromSeconds(5)));
        Assert.Equal(12, result.Bytes);
        Assert.Equal(12, source.BytesAvailable);
        Assert.Equal("duplicate me"u8.ToArray(), KernelPipeReader.Read(copy, null, new ReadinessWait(default)));
    }
}
