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
}
