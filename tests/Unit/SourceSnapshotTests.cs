using System.IO;
using System.Text;
using System.Threading;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>What a remote copy sends of a source whose size is not its length (/proc, /sys).</summary>
public sealed class SourceSnapshotTests
{
    [Fact]
    public void AProcFileIsAnnouncedAndSentWithTheLengthOneReadToItsEndGave()
    {
        string expected = File.ReadAllText("/proc/sys/kernel/ostype");
        using var outgoing = new OutgoingFile("/proc/sys/kernel/ostype", verify: true, CancellationToken.None);

        Assert.Equal(Encoding.UTF8.GetByteCount(expected), outgoing.Header.Size);
        Assert.Null(outgoing.Header.Extents);
        var sent = new MemoryStream();
        foreach (var chunk in outgoing.Chunks(4096, CancellationToken.None))
        {
            sent.Write(chunk.Span);
        }

        Assert.Equal(expected, Encoding.UTF8.GetString(sent.ToArray()));
        Assert.Equal(System.Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(sent.ToArray())), outgoing.Header.Sha256);
    }

    [Fact]
    public void OnlyTheKernelsPseudoFileSystemsAndFilesWithContentPastTheirSizeAreTaken()
    {
        using var scratch = new Scratch();
        string path = scratch.Write("plain", new byte[] { 1, 2, 3 });
        using var plain = File.OpenHandle(path);
        var status = Sys.Stat(plain, path);
        using var proc = File.OpenHandle("/proc/cpuinfo");

        Assert.Equal(SizeTrust.Pseudo, TrueSizeDevices.Of(proc, "/proc/cpuinfo"));
        Assert.False(SourceSnapshot.IsNeeded(TrueSizeDevices.Of(plain, path), plain, status, path));
        Assert.False(SourceSnapshot.IsNeeded(SizeTrust.Unknown, plain, status, path));
        Assert.True(SourceSnapshot.IsNeeded(SizeTrust.Unknown, plain, status with { Size = 2 }, path));
    }

    [Fact]
    public void ASourceLargerThanTheCapIsRefusedRatherThanHeldInMemory()
    {
        using var zero = File.OpenHandle("/dev/zero");
        var refused = Assert.Throws<SpliceRefusedException>(() => SourceSnapshot.Take(zero, "/dev/zero", CancellationToken.None));
        Assert.Equal(Refusal.UnsupportedInput, refused.Reason);
        Assert.Contains("64 MiB", refused.Message);
    }
}
