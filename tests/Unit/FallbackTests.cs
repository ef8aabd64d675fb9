using System;
using System.IO;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The fallback rule: fall to the next method only while nothing has been written, never
/// on a real failure, and never when the caller forced a method.</summary>
public class FallbackTests
{
    [Fact]
    public void AForcedReflinkOnAFileSystemWithoutReflinksIsMethodNotSupportedAndWritesNothing()
    {
        using var scratch = new Scratch();
        string source = scratch.Write("src", Scratch.Bytes(5000));
        string target = scratch.PathOf("dst");
        using var input = Scratch.OpenRead(source);
        using var output = Scratch.OpenNew(target);
        var transfer = Scratch.FileTransfer(input, source, output, target);

        var refused = Assert.Throws<SpliceRefusedException>(() => CopyEngine.Run(transfer, CopyMethod.Reflink));

        Assert.Equal(Refusal.MethodNotSupported, refused.Reason);
        Assert.Contains("EOPNOTSUPP", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, transfer.Copied);
        Assert.Equal(0, new FileInfo(target).Length);
        Assert.Equal(0, Sys.Seek(input, 0, Flags.SEEK_CUR));
    }

    [Theory]
    [InlineData(CopyMethod.Reflink)]
    [InlineData(CopyMethod.CopyFileRange)]
    [InlineData(CopyMethod.SendFile)]
    public void AForcedMethodThatCannotReadAPipeIsMethodNotSupported(CopyMethod method)
    {
        using var scratch = new Scratch();
        var (read, write) = Sys.Pipe(nonBlocking: true);
        using (read)
        using (write)
        using (var output = Scratch.OpenNew(scratch.PathOf("dst")))
        {
            var transfer = new ByteTransfer(read, FileKind.Pipe, "pipe", output, FileKind.File, scratch.PathOf("dst"));
            Assert.Equal(Refusal.MethodNotSupported, Assert.Throws<SpliceRefusedException>(() => CopyEngine.Run(transfer, method)).Reason);
        }
    }

    [Fact]
    public void AutoFallsThroughToSpliceForAPipeSource()
    {
        using var scratch = new Scratch();
        var (read, write) = Sys.Pipe(nonBlocking: true);
        string target = scratch.PathOf("dst");
        using (read)
        using (var output = Scratch.OpenNew(target))
        {
            using (write)
            {
                Sys.Write(write, "hello"u8);
            }

            var transfer = new ByteTransfer(read, FileKind.Pipe, "pipe", output, FileKind.File, target);
            Assert.Equal(CopyMethod.Splice, CopyEngine.Run(transfer, CopyMethod.Auto));
        }

        Assert.Equal("hello", File.ReadAllText(target));
    }

    [Fact]
    public void AutoCopiesIntoAnAppendOnlyDestinationExactlyOnce()
    {
        using var scratch = new Scratch();
        byte[] content = Scratch.Bytes(200_000, 11);
        string source = scratch.Write("src", content);
        string target = scratch.Write("log", "existing\n"u8.ToArray());
        CopyMethod method;
        using (var input = Scratch.OpenRead(source))
        using (var output = Sys.Open(target, Flags.O_WRONLY | Flags.O_APPEND))
        {
            var transfer = Scratch.FileTransfer(input, source, output, target);
            method = CopyEngine.Run(transfer, CopyMethod.Auto);
            Assert.Equal(content.Length, transfer.Copied);
        }

        // copy_file_range (EBADF), splice and sendfile (EINVAL) all refuse O_APPEND.
        Assert.Equal(CopyMethod.ReadWrite, method);
        byte[] expected = [.. "existing\n"u8.ToArray(), .. content];
        Assert.Equal(expected, File.ReadAllBytes(target));
    }

    [Fact]
    public void SpliceRefusedByAnAppendOnlyDestinationRewindsARegularSource()
    {
        using var scratch = new Scratch();
        string source = scratch.Write("src", Scratch.Bytes(100_000));
        string target = scratch.Write("log", "x"u8.ToArray());
        using var input = Scratch.OpenRead(source);
        using var output = Sys.Open(target, Flags.O_WRONLY | Flags.O_APPEND);
        var transfer = Scratch.FileTransfer(input, source, output, target);

        string? whyNot = new SpliceStrategy().TryCopy(transfer);

        Assert.NotNull(whyNot);
        Assert.Contains("EINVAL", whyNot, StringComparison.Ordinal);
        Assert.Equal(0, transfer.Copied);
        Assert.Equal(0, Sys.Seek(input, 0, Flags.SEEK_CUR));
        Assert.Equal(1, new FileInfo(target).Length);
    }

    [Fact]
    public void ForcedSpliceIntoAnAppendOnlyDestinationIsMethodNotSupported()
    {
        using var scratch = new Scratch();
        string source = scratch.Write("src", Scratch.Bytes(1000));
        string target = scratch.Write("log", Array.Empty<byte>());
        using var input = Scratch.OpenRead(source);
        using var output = Sys.Open(target, Flags.O_WRONLY | Flags.O_APPEND);

        var refused = Assert.Throws<SpliceRefusedException>(() => CopyEngine.Run(Scratch.FileTransfer(input, source, output, target), CopyMethod.Splice));

        Assert.Equal(Refusal.MethodNotSupported, refused.Reason);
        Assert.Equal(0, new FileInfo(target).Length);
    }

    [Theory]
    [InlineData("/dev/null", false)]
    [InlineData("/dev/full", true)]
    [InlineData("/dev/kmsg", true)]
    public void RefusalIntoTellsADeviceWithoutSpliceSupportFromOneWithIt(string device, bool refuses)
    {
        if (!File.Exists(device))
        {
            return;
        }

        using var output = Sys.Open(device, Flags.O_WRONLY | Flags.O_NONBLOCK);
        string? refusal = SpliceStrategy.RefusalInto(output, FileKind.CharacterDevice, device);

        Assert.Equal(refuses, refusal is not null);
        if (refuses)
        {
            Assert.Contains("EINVAL", refusal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void RefusalIntoTellsAnAppendOnlyFileFromAPlainOne()
    {
        using var scratch = new Scratch();
        string target = scratch.Write("log", "x"u8.ToArray());
        using var plain = Sys.Open(target, Flags.O_WRONLY);
        using var append = Sys.Open(target, Flags.O_WRONLY | Flags.O_APPEND);

        Assert.Null(SpliceStrategy.RefusalInto(plain, FileKind.File, target));
        Assert.NotNull(SpliceStrategy.RefusalInto(append, FileKind.File, target));
        Assert.Equal(1, new FileInfo(target).Length);
    }

    [Fact]
    public void SpliceFromAPipeIntoADeviceWithoutSpliceSupportDeclinesAndLeavesThePipeFull()
    {
        var (read, write) = Sys.Pipe(nonBlocking: true);
        using (read)
        using (write)
        using (var output = Sys.Open("/dev/full", Flags.O_WRONLY))
        {
            Sys.Write(write, "hello"u8);
            var transfer = new ByteTransfer(read, FileKind.Pipe, "pipe", output, FileKind.CharacterDevice, "/dev/full");

            Assert.Contains("EINVAL", new SpliceStrategy().TryCopy(transfer), StringComparison.Ordinal);
            Assert.Equal(0, transfer.Taken);
            Assert.Equal(5, Sys.BytesAvailable(read));
        }
    }

    [Fact]
    public void AutoFromADeviceIntoAFullDeviceIsENOSPCAsWithCat()
    {
        using var input = Sys.Open("/dev/zero", Flags.O_RDONLY);
        using var output = Sys.Open("/dev/full", Flags.O_WRONLY);
        var transfer = new ByteTransfer(input, FileKind.CharacterDevice, "/dev/zero", output, FileKind.CharacterDevice, "/dev/full") { Limit = 4096 };

        var full = Assert.Throws<SpliceException>(() => CopyEngine.Run(transfer, CopyMethod.Auto));

        Assert.Equal(Errno.ENOSPC, full.Errno);
        Assert.Equal("write", full.Syscall);
    }

    [Fact]
    public void PlatformCopyIsNoKernelMethod() =>
        Assert.Equal(Refusal.MethodNotSupported, Assert.Throws<SpliceRefusedException>(() =>
        {
            using var scratch = new Scratch();
            string source = scratch.Write("src", Scratch.Bytes(10));
            using var input = Scratch.OpenRead(source);
            using var output = Scratch.OpenNew(scratch.PathOf("dst"));
            CopyEngine.Run(Scratch.FileTransfer(input, source, output, scratch.PathOf("dst")), CopyMethod.PlatformCopy);
        }).Reason);

    [Theory]
    [InlineData(0, Errno.EXDEV, true)]
    [InlineData(0, Errno.EINVAL, true)]
    [InlineData(0, Errno.EACCES, false)]
    [InlineData(0, Errno.ENOSPC, false)]
    [InlineData(0, Errno.EIO, false)]
    [InlineData(0, Errno.EDQUOT, false)]
    [InlineData(0, Errno.ENOMEM, false)]
    [InlineData(1, Errno.EXDEV, false)]
    [InlineData(4096, Errno.EINVAL, false)]
    public void FallingBackNeedsANamedErrnoAndNothingWritten(long alreadyCopied, int errno, bool mayFallBack)
    {
        using var scratch = new Scratch();
        string source = scratch.Write("src", Scratch.Bytes(10));
        using var input = Scratch.OpenRead(source);
        using var output = Scratch.OpenNew(scratch.PathOf("dst"));
        var transfer = Scratch.FileTransfer(input, source, output, scratch.PathOf("dst"));
        if (alreadyCopied > 0)
        {
            transfer.Advance(alreadyCopied);
        }

        Assert.Equal(mayFallBack, Probe.MayFallBack(transfer, new SpliceException(errno, "test"), Errno.EXDEV, Errno.EINVAL, Errno.ENOSPC, Errno.EIO, Errno.EDQUOT, Errno.ENOMEM));
    }

    [Fact]
    public void WithoutAnErrnoListAnyErrorButTheRealFailuresFallsBack()
    {
        var transfer = new ByteTransfer(new Microsoft.Win32.SafeHandles.SafeFileHandle(), FileKind.File, "a", new Microsoft.Win32.SafeHandles.SafeFileHandle(), FileKind.File, "b");
        Assert.True(Probe.MayFallBack(transfer, new SpliceException(Errno.EOPNOTSUPP, "ioctl(FICLONE)")));
        Assert.True(Probe.MayFallBack(transfer, new SpliceException(Errno.EXDEV, "ioctl(FICLONE)")));
        Assert.False(Probe.MayFallBack(transfer, new SpliceException(Errno.ENOSPC, "ioctl(FICLONE)")));
        Assert.False(Probe.MayFallBack(transfer, new SpliceException(Errno.EIO, "ioctl(FICLONE)")));
    }

    /// <summary>Opens the protected rule to the tests.</summary>
    private sealed class Probe : CopyStrategy
    {
        public override CopyMethod Method => CopyMethod.Auto;

        public static new bool MayFallBack(ByteTransfer transfer, SpliceException error, params int[] fallbackErrnos) =>
            CopyStrategy.MayFallBack(transfer, error, fallbackErrnos);

        public override string? TryCopy(ByteTransfer transfer) => throw new NotSupportedException();
    }
}
