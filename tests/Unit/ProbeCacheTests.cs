using System;
using System.Reflection;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>Tests that change the process-wide probe cache, or count the process's open descriptors,
/// run alone, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideState
{
    public const string Name = "process-wide state: kernel feature cache, descriptor table";
}

[Collection(ProcessWideState.Name)]
public sealed class ProbeCacheTests : IDisposable
{
    public ProbeCacheTests() => KernelFeatures.Reset();

    public void Dispose() => KernelFeatures.Reset();

    /// <summary>The cached state of one feature: 0 unknown, 1 available, 2 unavailable.</summary>
    private static int CachedState(KernelFeature feature)
    {
        var states = (int[])typeof(KernelFeatures).GetField("States", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        return states[(int)feature];
    }

    [Theory]
    [InlineData("Splice")]
    [InlineData("Tee")]
    [InlineData("VmSplice")]
    [InlineData("CopyFileRange")]
    [InlineData("SendFile")]
    public void EachFeatureIsProbedOnFirstUseAndTheAnswerIsKept(string name)
    {
        var feature = Enum.Parse<KernelFeature>(name);
        Assert.Equal(0, CachedState(feature));
        Assert.True(KernelFeatures.IsAvailable(feature), $"{feature} works on this kernel");
        Assert.Equal(1, CachedState(feature));
        Assert.True(KernelFeatures.IsAvailable(feature));
        Assert.Equal(1, CachedState(feature));
    }

    [Fact]
    public void MarkUnavailableSticksUntilReset()
    {
        Assert.True(KernelFeatures.IsAvailable(KernelFeature.Splice));
        KernelFeatures.MarkUnavailable(KernelFeature.Splice);

        Assert.False(KernelFeatures.IsAvailable(KernelFeature.Splice));
        Assert.False(KernelFeatures.IsAvailable(KernelFeature.Splice));
        Assert.True(KernelFeatures.IsAvailable(KernelFeature.Tee), "other features are not affected");
        Assert.False(CapabilityProbe.Probe(null).Splice);

        KernelFeatures.Reset();
        Assert.Equal(0, CachedState(KernelFeature.Splice));
        Assert.True(KernelFeatures.IsAvailable(KernelFeature.Splice));
    }

    [Fact]
    public void AFeatureMarkedUnavailableIsRefusedWhenForcedAndSkippedByAuto()
    {
        using var scratch = new Scratch();
        string source = scratch.Write("src", Scratch.Bytes(10_000));
        KernelFeatures.MarkUnavailable(KernelFeature.CopyFileRange);

        string forcedTarget = scratch.PathOf("forced");
        using (var input = Scratch.OpenRead(source))
        using (var output = Scratch.OpenNew(forcedTarget))
        {
            var refused = Assert.Throws<SpliceRefusedException>(() => CopyEngine.Run(Scratch.FileTransfer(input, source, output, forcedTarget), CopyMethod.CopyFileRange));
            Assert.Equal(Refusal.MethodNotSupported, refused.Reason);
            Assert.Contains("not available", refused.Message, StringComparison.Ordinal);
        }

        string autoTarget = scratch.PathOf("auto");
        using (var input = Scratch.OpenRead(source))
        using (var output = Scratch.OpenNew(autoTarget))
        {
            Assert.Equal(CopyMethod.Splice, CopyEngine.Run(Scratch.FileTransfer(input, source, output, autoTarget), CopyMethod.Auto));
        }

        Assert.Equal(System.IO.File.ReadAllBytes(source), System.IO.File.ReadAllBytes(autoTarget));
    }

    [Fact]
    public void ProbesNeedNoTemporaryDirectory()
    {
        string? saved = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", "/nonexistent/splicemodule");
        try
        {
            Assert.True(KernelFeatures.IsAvailable(KernelFeature.CopyFileRange));
            Assert.True(KernelFeatures.IsAvailable(KernelFeature.SendFile));
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", saved);
        }
    }
}
