using System;
using System.IO;
using System.Linq;
using System.Reflection;
using SpliceModule.Interop;
using Xunit;

namespace SpliceModule.Tests;

public class ErrnoTests
{
    [Theory]
    [InlineData(Errno.ENOSPC, "ENOSPC")]
    [InlineData(Errno.EXDEV, "EXDEV")]
    [InlineData(Errno.EOPNOTSUPP, "EOPNOTSUPP")]
    [InlineData(Errno.EAGAIN, "EAGAIN")]
    [InlineData(4242, "E4242")]
    public void NamesMatchTheKernelsSpelling(int errno, string name) => Assert.Equal(name, Errno.NameOf(errno));

    [Fact]
    public void ExceptionCarriesCallPathsAndErrnoName()
    {
        var e = new SpliceException(Errno.ENOSPC, "splice", "/src/a", "/dst/b");
        Assert.Equal("ENOSPC", e.ErrnoName);
        Assert.Equal("splice", e.Syscall);
        Assert.Contains("'/src/a'", e.Message);
        Assert.Contains("'/dst/b'", e.Message);
        Assert.Contains("(ENOSPC)", e.Message);
    }

    [Fact]
    public void OpeningAMissingFileReportsEnoent()
    {
        var e = Assert.Throws<SpliceException>(() => Sys.Open("/nonexistent/splice-test", Flags.O_RDONLY));
        Assert.Equal("ENOENT", e.ErrnoName);
        Assert.Equal("open", e.Syscall);
        Assert.Equal("/nonexistent/splice-test", e.Path);
    }

    [Fact]
    public void EveryNamedConstantMapsToItsOwnName()
    {
        var constants = typeof(Errno).GetFields(BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int) && f.Name != "ENOTSUP");
        Assert.All(constants, f => Assert.Equal(f.Name, Errno.NameOf((int)f.GetRawConstantValue()!)));
    }

    [Fact]
    public void TheMessageCarriesTheSystemsWordsAndTheDetail()
    {
        var e = new SpliceException(Errno.EPERM, "fcntl(F_SETPIPE_SZ)", detail: "See /proc/sys/fs/pipe-max-size.");
        Assert.Equal("fcntl(F_SETPIPE_SZ) failed: Operation not permitted (EPERM). See /proc/sys/fs/pipe-max-size.", e.Message);
        Assert.Equal(Errno.EPERM, e.Errno);
        Assert.IsAssignableFrom<IOException>(e);
    }

    [Fact]
    public void OpeningADirectoryForWritingIsEisdir()
    {
        using var scratch = new Scratch();
        var e = Assert.Throws<SpliceException>(() => Sys.Open(scratch.Directory, Flags.O_WRONLY));
        Assert.Equal("EISDIR", e.ErrnoName);
    }

    [Fact]
    public void StatOfAMissingPathIsEnoentAndTryStatIsNull()
    {
        using var scratch = new Scratch();
        string missing = scratch.PathOf("missing");
        var e = Assert.Throws<SpliceException>(() => Sys.Stat(missing));
        Assert.Equal(("ENOENT", "stat", missing), (e.ErrnoName, e.Syscall, e.Path));
        Assert.Null(Sys.TryStat(missing));
        Assert.Null(Sys.TryStat(Path.Combine(missing, "below")));
    }

    [Fact]
    public void SeekingAPipeIsEspipe()
    {
        var (read, write) = Sys.Pipe(nonBlocking: false);
        using (read)
        using (write)
        {
            var e = Assert.Throws<SpliceException>(() => Sys.Seek(read, 0, Flags.SEEK_CUR, "pipe"));
            Assert.Equal(("ESPIPE", "lseek", "pipe"), (e.ErrnoName, e.Syscall, e.Path));
        }
    }

    [Fact]
    public void SpliceWithoutAPipeIsEinvalNamingBothPaths()
    {
        using var scratch = new Scratch();
        string source = scratch.Write("a", new byte[10]);
        using var input = Scratch.OpenRead(source);
        using var output = Scratch.OpenNew(scratch.PathOf("b"));
        var e = Assert.Throws<SpliceException>(() => Sys.Splice(input, Sys.CurrentPosition, output, Sys.CurrentPosition, 10, 0, source, scratch.PathOf("b")));
        Assert.Equal(("EINVAL", "splice", source, scratch.PathOf("b")), (e.ErrnoName, e.Syscall, e.Path, e.DestinationPath));
    }

    [Fact]
    public void CopyFileRangeIntoAnAppendOnlyFileIsEbadf()
    {
        using var scratch = new Scratch();
        string source = scratch.Write("a", new byte[10]);
        string target = scratch.Write("b", new byte[1]);
        using var input = Scratch.OpenRead(source);
        using var output = Sys.Open(target, Flags.O_WRONLY | Flags.O_APPEND);
        Assert.Equal("EBADF", Assert.Throws<SpliceException>(() => Sys.CopyFileRange(input, 0, output, Sys.CurrentPosition, 10)).ErrnoName);
    }

    [Fact]
    public void WritingIntoAPipeWithoutReaderIsEpipeNotASignal()
    {
        var (read, write) = Sys.Pipe(nonBlocking: false);
        read.Dispose();
        using (write)
        {
            Assert.Equal("EPIPE", Assert.Throws<SpliceException>(() => Sys.Write(write, "x"u8)).ErrnoName);
        }
    }

    [Fact]
    public void APipeSizeTheKernelRefusesIsAnErrnoAndTheMessageNamesTheLimit()
    {
        var e = Assert.Throws<SpliceException>(() => KernelPipe.Create(int.MaxValue));
        Assert.Contains(e.ErrnoName, new[] { "EPERM", "ENOMEM", "EINVAL" });
        Assert.Contains("/proc/sys/fs/pipe-max-size", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AClosedHandleIsObjectDisposedNotAReusedNumber()
    {
        var (read, write) = Sys.Pipe(nonBlocking: false);
        write.Dispose();
        read.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Sys.Write(write, "x"u8));
        Assert.Throws<ObjectDisposedException>(() => Sys.GetPipeSize(read));
    }

    [Fact]
    public void NonBlockingCallsWithNothingToDoReturnWouldBlock()
    {
        var (read, write) = Sys.Pipe(nonBlocking: true);
        using (read)
        using (write)
        {
            Assert.Equal(Sys.WouldBlock, Sys.Read(read, new byte[10]));
            var (otherRead, otherWrite) = Sys.Pipe(nonBlocking: true);
            using (otherRead)
            using (otherWrite)
            {
                Assert.Equal(Sys.WouldBlock, Sys.Splice(read, Sys.CurrentPosition, otherWrite, Sys.CurrentPosition, 10, Flags.SPLICE_F_NONBLOCK));
            }
        }
    }

    [Fact]
    public void ShrinkingAPipeBelowWhatItHoldsIsEbusyWithItsOwnExplanation()
    {
        using var pipe = KernelPipe.Create(nonBlocking: true);
        Sys.Write(pipe.WriteEnd.Handle, new byte[20_000]);
        var e = Assert.Throws<SpliceException>(() => pipe.Capacity = 4096);
        Assert.Equal("EBUSY", e.ErrnoName);
        Assert.Contains("holds more than 4096 bytes", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pipe-max-size", e.Message, StringComparison.Ordinal);
        Assert.Equal(65536, pipe.Capacity);
    }
}
