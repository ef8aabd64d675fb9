using System;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>Every loop must cope with calls that move fewer bytes than asked for.</summary>
public class ShortTransferTests
{
    [Fact]
    public void SpliceIntoASmallPipeMovesOnlyWhatFits()
    {
        using var scratch = new Scratch();
        string source = scratch.Write("src", Scratch.Bytes(1024 * 1024));
        using var file = Scratch.OpenRead(source);
        using var pipe = KernelPipe.Create(capacity: 4096, nonBlocking: true);

        long moved = Sys.Splice(file, Sys.CurrentPosition, pipe.WriteEnd.Handle, Sys.CurrentPosition, 1024 * 1024, Flags.SPLICE_F_NONBLOCK);

        Assert.Equal(4096, moved);
        Assert.Equal(4096, pipe.BytesAvailable);
        Assert.Equal(Sys.WouldBlock, Sys.Splice(file, Sys.CurrentPosition, pipe.WriteEnd.Handle, Sys.CurrentPosition, 1, Flags.SPLICE_F_NONBLOCK));
    }

    public static TheoryData<string, int, long> LimitCases()
    {
        int buffer = ReadWriteStrategy.BufferSize;
        var data = new TheoryData<string, int, long>();
        foreach (string method in new[] { "Splice", "CopyFileRange", "SendFile", "ReadWrite" })
        {
            data.Add(method, (3 * buffer) + 5, 1);
            data.Add(method, (3 * buffer) + 5, buffer);
            data.Add(method, (3 * buffer) + 5, (2L * buffer) + 1);
            data.Add(method, (3 * buffer) + 5, (3L * buffer) + 4);
            data.Add(method, 1024 * 1024 * 3, SpliceStrategy.PreferredPipeCapacity + 1);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LimitCases))]
    public void ATransferWithALimitCopiesExactlyThatPrefix(string method, int size, long limit)
    {
        using var scratch = new Scratch();
        byte[] content = Scratch.Bytes(size, size);
        string source = scratch.Write("src", content);
        string target = scratch.PathOf("dst");
        using (var input = Scratch.OpenRead(source))
        using (var output = Scratch.OpenNew(target))
        {
            var transfer = Scratch.FileTransfer(input, source, output, target);
            transfer.Limit = limit;
            Assert.Equal(Enum.Parse<CopyMethod>(method), CopyEngine.Run(transfer, Enum.Parse<CopyMethod>(method)));
            Assert.Equal(limit, transfer.Copied);
            Assert.Equal(0, transfer.Remaining);
        }

        Assert.Equal(content.AsSpan(0, (int)limit).ToArray(), File.ReadAllBytes(target));
    }

    [Theory]
    [InlineData(CopyMethod.ReadWrite)]
    [InlineData(CopyMethod.Splice)]
    public void APipeSourceDeliveringSmallPiecesIsCopiedUntilItsWriterCloses(CopyMethod method)
    {
        using var scratch = new Scratch();
        byte[] content = Scratch.Bytes(7 * 300, 3);
        string target = scratch.PathOf("from-pipe");
        var (read, write) = Sys.Pipe(nonBlocking: true);
        using (read)
        using (var output = Scratch.OpenNew(target))
        {
            var writer = new Thread(() =>
            {
                using (write)
                {
                    try
                    {
                        for (int offset = 0; offset < content.Length; offset += 7)
                        {
                            WriteAll(write, content.AsSpan(offset, 7));
                            if (offset % 140 == 0)
                            {
                                Thread.Sleep(2);
                            }
                        }
                    }
                    catch (SpliceException)
                    {
                        // EPIPE: the copy failed and closed the read end; its assertion reports why.
                    }
                }
            });
            writer.IsBackground = true;
            writer.Start();
            var transfer = new ByteTransfer(read, FileKind.Pipe, "pipe", output, FileKind.File, target)
            {
                Wait = new ReadinessWait(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token),
            };

            Assert.Equal(method, CopyEngine.Run(transfer, method));
            Assert.True(writer.Join(TimeSpan.FromSeconds(30)));
            Assert.Equal(content.Length, transfer.Copied);
        }

        Assert.Equal(content, File.ReadAllBytes(target));
    }

    [Theory]
    [InlineData(CopyMethod.ReadWrite)]
    [InlineData(CopyMethod.Splice)]
    [InlineData(CopyMethod.SendFile)]
    public void AFullPipeDestinationWithASlowReaderGetsEveryByte(CopyMethod method)
    {
        using var scratch = new Scratch();
        byte[] content = Scratch.Bytes(300_001, 5);
        string source = scratch.Write("src", content);
        using var pipe = KernelPipe.Create(capacity: 4096, nonBlocking: true);
        var received = new MemoryStream();
        var reader = new Thread(() =>
        {
            var buffer = new byte[1000];
            try
            {
                while (true)
                {
                    Sys.Poll(pipe.ReadEnd.Handle, Flags.POLLIN, 1000);
                    long read = Sys.Read(pipe.ReadEnd.Handle, buffer);
                    if (read == 0)
                    {
                        return;
                    }

                    if (read > 0)
                    {
                        received.Write(buffer, 0, (int)read);
                    }
                }
            }
            catch (ObjectDisposedException)
            {
                // The test failed and closed the pipe; its assertion reports why.
            }
        });
        reader.IsBackground = true;
        reader.Start();

        using (var input = Scratch.OpenRead(source))
        {
            var transfer = new ByteTransfer(input, FileKind.File, source, pipe.WriteEnd.Handle, FileKind.Pipe, "pipe")
            {
                SourceSize = content.Length,
                Wait = new ReadinessWait(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token),
            };
            Assert.Equal(method, CopyEngine.Run(transfer, method));
            Assert.Equal(content.Length, transfer.Copied);
        }

        pipe.WriteEnd.Dispose();
        Assert.True(reader.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(content, received.ToArray());
    }

    [Fact]
    public void ProgressIsReportedAsARunningTotalThatEndsAtTheSize()
    {
        using var scratch = new Scratch();
        int size = (ReadWriteStrategy.BufferSize * 4) + 3;
        string source = scratch.Write("src", Scratch.Bytes(size));
        string target = scratch.PathOf("dst");
        var totals = new System.Collections.Generic.List<long>();
        using var input = Scratch.OpenRead(source);
        using var output = Scratch.OpenNew(target);
        var transfer = new ByteTransfer(input, FileKind.File, source, output, FileKind.File, target) { SourceSize = size, Progress = totals.Add };

        CopyEngine.Run(transfer, CopyMethod.ReadWrite);

        Assert.Equal(5, totals.Count);
        Assert.Equal(totals.OrderBy(t => t), totals);
        Assert.Equal(size, totals[^1]);
    }

    private static void WriteAll(SafeFileHandle handle, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            long written = Sys.Write(handle, data);
            if (written == Sys.WouldBlock)
            {
                Sys.Poll(handle, Flags.POLLOUT, 1000);
                continue;
            }

            data = data[(int)written..];
        }
    }
}
