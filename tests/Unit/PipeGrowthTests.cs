using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The one pipe-grow rule every transfer uses: ask for a size, keep what the kernel gives,
/// never shrink, and take a refusal above pipe-max-size as "work with the size it has".</summary>
public class PipeGrowthTests
{
    private const int CapSysResource = 24;

    [Fact]
    public void GrowingKeepsWhatTheKernelGivesAndNeverShrinks()
    {
        using var pipe = KernelPipe.Create();
        int before = pipe.Capacity;

        int grown = Sys.GrowPipe(pipe.WriteEnd.Handle, before + 1);

        Assert.True(grown > before, $"asked for {before + 1}, got {grown}");
        Assert.Equal(0, grown & (grown - 1)); // the kernel rounds up to a power-of-two number of pages
        Assert.Equal(grown, pipe.Capacity);
        Assert.Equal(grown, Sys.GrowPipe(pipe.WriteEnd.Handle, 4096));
        Assert.Equal(grown, pipe.Capacity);
    }

    [Fact]
    public void APipeForATransferIsNonBlockingAndKnowsItsSize()
    {
        using var pipe = KernelPipe.ForTransfer(256 * 1024);

        Assert.True(pipe.IsNonBlocking);
        Assert.Equal(256 * 1024, Sys.GetPipeSize(pipe.WriteEnd.Handle));
        Assert.Contains("262144 bytes", pipe.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AboveThePipeMaxSizeWithoutCapSysResourceThePipeKeepsItsSize()
    {
        int max = KernelPipe.ReadPipeMaxSize() ?? throw new SkipException("/proc/sys/fs/pipe-max-size cannot be read");
        using var pipe = KernelPipe.Create();
        int before = pipe.Capacity;

        // Capabilities belong to a thread: where this one has CAP_SYS_RESOURCE, only this test's
        // thread drops it, and gets it back.
        var restore = HasEffectiveCapability(CapSysResource) ? DropEffectiveCapability(CapSysResource) : null;
        try
        {
            var refused = Assert.Throws<SpliceException>(() => Sys.SetPipeSize(pipe.WriteEnd.Handle, max * 2));
            Assert.Equal(Errno.EPERM, refused.Errno);

            Assert.Equal(before, Sys.GrowPipe(pipe.WriteEnd.Handle, max * 2));
            using var ours = KernelPipe.ForTransfer(max * 2);
            Assert.Equal(before, ours.Capacity);
            Assert.Equal(max, Sys.GrowPipe(pipe.WriteEnd.Handle, max));
        }
        finally
        {
            if (restore is not null)
            {
                SetCapabilities(restore);
            }
        }
    }

    private static bool HasEffectiveCapability(int capability)
    {
        var (header, data) = (new CapHeader { Version = CapVersion3 }, new CapData[2]);
        return CapGet(ref header, data) == 0 && (data[capability / 32].Effective & (1u << (capability % 32))) != 0;
    }

    /// <summary>Drops one capability from this thread's effective set; returns the sets as they were.</summary>
    private static CapData[] DropEffectiveCapability(int capability)
    {
        var header = new CapHeader { Version = CapVersion3 };
        var before = new CapData[2];
        Assert.Equal(0, CapGet(ref header, before));
        var dropped = (CapData[])before.Clone();
        dropped[capability / 32].Effective &= ~(1u << (capability % 32));
        SetCapabilities(dropped);
        return before;
    }

    private static void SetCapabilities(CapData[] sets)
    {
        var header = new CapHeader { Version = CapVersion3 };
        Assert.Equal(0, CapSet(ref header, sets));
    }

    private const uint CapVersion3 = 0x20080522;

    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader
    {
        public uint Version;
        public int Pid; // 0: the calling thread
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [DllImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static extern int CapGet(ref CapHeader header, [Out] CapData[] data);

    [DllImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static extern int CapSet(ref CapHeader header, CapData[] data);
}
