using System;
using System.Diagnostics;
using System.IO;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The receiving end of one file fed a header no honest sender makes.</summary>
[Collection(ProcessWideState.Name)]
public sealed class IncomingFileTests
{
    [Fact]
    public void AHeaderOfAHugeSizeOnATinyFileSystemEndsAsNoSpaceWithNothingLeftOrAllocated()
    {
        if (Sys.EffectiveUid != 0)
        {
            return; // mounting the tiny tmpfs needs root
        }

        using var scratch = new Scratch();
        string tiny = scratch.PathOf("tiny");
        Directory.CreateDirectory(tiny);
        Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny);
        try
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            var header = new RemoteFileHeader("/far/big", "big", long.MaxValue / 2, 0x8000 | 0b110_100_100, 0, 0, 0, 0, 0, 0);
            var chunk = new byte[256 * 1024];
            var failure = Assert.Throws<SpliceException>(() =>
            {
                using var file = new IncomingFile(tiny, header, new FileCopyRequest("/far/big", Path.Combine(tiny, "big")));
                for (int i = 0; i < 16; i++)
                {
                    file.Write(chunk);
                }
            });

            Assert.Equal(Errno.ENOSPC, failure.Errno);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 16 * 1024 * 1024, "nothing the size the header claims was allocated");
            Assert.Empty(Directory.GetFileSystemEntries(tiny));
            Assert.Empty(scratch.DescriptorsInside());
        }
        finally
        {
            Run("umount", tiny);
        }
    }

    private static void Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} failed: {process.StandardError.ReadToEnd()}");
    }
}
