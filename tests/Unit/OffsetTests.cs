using System;
using System.IO;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The offsets rule: a strategy that takes explicit offsets reads and writes there and
/// leaves both descriptors' own positions alone; one that does not is skipped by Auto and refused
/// (OffsetNotSupported) when forced, before it writes a byte.</summary>
public class OffsetTests
{
    private const long SourcePosition = 7;
    private const long DestinationPosition = 3;

    public static TheoryData<CopyMethod, long, long, long> Honoured()
    {
        var data = new TheoryData<CopyMethod, long, long, long>();
        // Lengths that cross the read/write buffer and the splice pipe, so offsets must move on.
        long acrossBuffers = (3L * ReadWriteStrategy.BufferSize) + 5;
        long acrossPipes = SpliceStrategy.PreferredPipeCapacity + 4097;
        foreach (var method in new[] { CopyMethod.CopyFileRange, CopyMethod.Splice, CopyMethod.ReadWrite, CopyMethod.Auto })
        {
            data.Add(method, 1000, 10, acrossBuffers);
            data.Add(method, 1000, 10, acrossPipes);
            data.Add(method, 0, 4096, 1);
        }

        // sendfile takes a source offset only.
        data.Add(CopyMethod.SendFile, 1000, Sys.CurrentPosition, acrossBuffers);
        data.Add(CopyMethod.SendFile, 1000, Sys.CurrentPosition, acrossPipes);
        return data;
    }

    [Theory]
    [MemberData(nameof(Honoured))]
    public void AStrategyThatTakesOffsetsCopiesThereAndLeavesThePositionsAlone(CopyMethod method, long sourceOffset, long destinationOffset, long limit)
    {
        using var scratch = new Scratch();
        byte[] content = Scratch.Bytes((int)(sourceOffset + limit + 5000), (int)limit);
        string source = scratch.Write("src", content);
        string target = scratch.Write("dst", new byte[DestinationPosition]);
        using (var input = Scratch.OpenRead(source))
        using (var output = Sys.Open(target, Flags.O_RDWR))
        {
            Sys.Seek(input, SourcePosition, Flags.SEEK_SET);
            Sys.Seek(output, DestinationPosition, Flags.SEEK_SET);
            var transfer = OffsetTransfer(input, source, output, target, sourceOffset, destinationOffset, limit);

            var used = CopyEngine.Run(transfer, method);

            Assert.NotEqual(CopyMethod.Reflink, used);
            Assert.Equal(limit, transfer.Copied);
            Assert.Equal(SourcePosition, Sys.Seek(input, 0, Flags.SEEK_CUR));
            Assert.Equal(destinationOffset == Sys.CurrentPosition ? DestinationPosition + limit : DestinationPosition, Sys.Seek(output, 0, Flags.SEEK_CUR));
        }

        long writtenAt = destinationOffset == Sys.CurrentPosition ? DestinationPosition : destinationOffset;
        byte[] written = File.ReadAllBytes(target);
        Assert.Equal(writtenAt + limit, written.Length);
        Assert.True(content.AsSpan((int)sourceOffset, (int)limit).SequenceEqual(written.AsSpan((int)writtenAt)), $"{method} copied the wrong bytes");
    }

    [Theory]
    [InlineData(CopyMethod.Reflink, 1000L, Sys.CurrentPosition, "source")]
    [InlineData(CopyMethod.Reflink, Sys.CurrentPosition, 10L, "destination")]
    [InlineData(CopyMethod.Reflink, 0L, 0L, "source and the destination")]
    [InlineData(CopyMethod.SendFile, 0L, 10L, "destination")]
    [InlineData(CopyMethod.SendFile, 1000L, 10L, "destination")]
    public void AForcedStrategyThatCannotTakeTheOffsetsIsRefusedBeforeItWritesAByte(CopyMethod method, long sourceOffset, long destinationOffset, string which)
    {
        using var scratch = new Scratch();
        string source = scratch.Write("src", Scratch.Bytes(20_000));
        string target = scratch.Write("dst", new byte[DestinationPosition]);
        using var input = Scratch.OpenRead(source);
        using var output = Sys.Open(target, Flags.O_RDWR);
        Sys.Seek(input, SourcePosition, Flags.SEEK_SET);
        Sys.Seek(output, DestinationPosition, Flags.SEEK_SET);
        var transfer = OffsetTransfer(input, source, output, target, sourceOffset, destinationOffset, ByteTransfer.ToEnd);

        var refused = Assert.Throws<SpliceRefusedException>(() => CopyEngine.Run(transfer, method));

        Assert.Equal(Refusal.OffsetNotSupported, refused.Reason);
        Assert.Contains($"{method} cannot start", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith($"offset{(which.Contains(' ') ? "s" : string.Empty)} of the {which}.", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, transfer.Copied);
        Assert.Equal(DestinationPosition, new FileInfo(target).Length);
        Assert.Equal(SourcePosition, Sys.Seek(input, 0, Flags.SEEK_CUR));
        Assert.Equal(DestinationPosition, Sys.Seek(output, 0, Flags.SEEK_CUR));
    }

    [Fact]
    public void OffsetsFromAFileIntoAPipeGoStraightAcrossAndLeaveTheFilePositionAlone()
    {
        using var scratch = new Scratch();
        byte[] content = Scratch.Bytes(50_000, 9);
        string source = scratch.Write("src", content);
        using var input = Scratch.OpenRead(source);
        using var pipe = KernelPipe.Create(nonBlocking: true);
        Sys.Seek(input, SourcePosition, Flags.SEEK_SET);

        foreach (var method in new[] { CopyMethod.Splice, CopyMethod.SendFile, CopyMethod.ReadWrite })
        {
            var transfer = new ByteTransfer(input, FileKind.File, source, pipe.WriteEnd.Handle, FileKind.Pipe, "pipe")
            {
                SourceSize = content.Length,
                SourceOffset = 30_000,
                Limit = 1000,
                Wait = new ReadinessWait(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token),
            };
            Assert.Equal(method, CopyEngine.Run(transfer, method));
            Assert.Equal(content.AsSpan(30_000, 1000).ToArray(), KernelPipeReader.Read(pipe, 1000, new ReadinessWait(default, TimeSpan.FromSeconds(5))));
            Assert.Equal(SourcePosition, Sys.Seek(input, 0, Flags.SEEK_CUR));
        }
    }

    [Fact]
    public void InvokeSpliceFallingBackToReadWriteHonoursASourceOffset()
    {
        // An O_APPEND destination refuses splice; read/write takes the source offset by pread.
        using var scratch = new Scratch();
        byte[] content = Scratch.Bytes(40_000, 4);
        string source = scratch.Write("src", content);
        string target = scratch.Write("log", "head"u8.ToArray());
        using var from = new SpliceDescriptor(Scratch.OpenRead(source), source, FileKind.File, DescriptorAccess.Read);
        using var into = new SpliceDescriptor(Sys.Open(target, Flags.O_WRONLY | Flags.O_APPEND), target, FileKind.File, DescriptorAccess.Write);

        var result = DescriptorSplicer.Run(new SpliceRequest(from, into) { SourceOffset = 12_000, Length = 20_000 });

        Assert.Equal(TransferMethod.ReadWrite, result.Method);
        Assert.Equal(20_000, result.Bytes);
        Assert.Equal(0, Sys.Seek(from.Handle, 0, Flags.SEEK_CUR));
        Assert.Equal([.. "head"u8.ToArray(), .. content.AsSpan(12_000, 20_000).ToArray()], File.ReadAllBytes(target));
    }

    private static ByteTransfer OffsetTransfer(SafeFileHandle input, string source, SafeFileHandle output, string target, long sourceOffset, long destinationOffset, long limit) =>
        new(input, FileKind.File, source, output, FileKind.File, target)
        {
            SourceSize = Sys.Stat(input, source).Size,
            SourceOffset = sourceOffset,
            DestinationOffset = destinationOffset,
            Limit = limit,
        };
}
