using System;
using System.IO;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

public class PrivateFileFeedTests
{
    private const int Round = 128 * 1024;

    [Fact]
    public unsafe void ArenaReservesPageAlignedSlicesAfterWhatWasPlaced()
    {
        using var arena = new SplicePageArena();
        var placed = arena.Place(new byte[100]);
        var reserved = arena.Reserve(8192);
        Assert.Equal(8192, reserved.Length);
        Assert.Equal(placed.Memory + 4096, reserved.Memory);

        // What is left of the region, then a fresh region from its start.
        var rest = arena.Reserve(SplicePageArena.RegionSize);
        Assert.Equal(SplicePageArena.RegionSize - 4096 - 8192, rest.Length);
        ((byte*)rest.Memory)[0] = 0xEE;
        var fresh = arena.Reserve(4096);
        Assert.Equal(0, (long)fresh.Memory % 4096);
        Assert.Equal(0, ((byte*)fresh.Memory)[0]);
    }

    [Fact]
    public void BytesFedFromAFileStayAsTheyWereReadWhenTheFileChanges()
    {
        using var scratch = new Scratch();
        var before = Scratch.Bytes(Round, 1);
        string path = scratch.Write("source.bin", before);
        using var source = Scratch.OpenRead(path);
        using var front = KernelPipe.Create(Round, nonBlocking: true);
        using var feed = new PrivateFileFeed(source, path, front, destinationsCopy: true);

        Assert.Equal(Round, feed.Fill(Round));
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            writer.Write(Scratch.Bytes(Round, 2));
        }

        Assert.Equal(before, KernelPipeReader.Read(front, Round, new ReadinessWait(default)));
        Assert.Equal(0, feed.Fill(Round));
    }

    [Fact]
    public void SplicedFilePagesShowTheFilesLaterChanges()
    {
        // The defect the feed exists for: splice(2) from a file passes page-cache references.
        using var scratch = new Scratch();
        string path = scratch.Write("source.bin", Scratch.Bytes(Round, 1));
        using var source = Scratch.OpenRead(path);
        using var front = KernelPipe.Create(Round, nonBlocking: true);

        Assert.Equal(Round, Sys.Splice(source, Sys.CurrentPosition, front.WriteEnd.Handle, Sys.CurrentPosition, Round, 0, path));
        var after = Scratch.Bytes(Round, 2);
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            writer.Write(after);
        }

        Assert.Equal(after, KernelPipeReader.Read(front, Round, new ReadinessWait(default)));
    }
}
