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

    [Fact]
    public void AFifoAtTheDestinationIsWrittenInPlaceInOrderWithItsHolesAsZeros()
    {
        using var scratch = new Scratch();
        string fifo = scratch.PathOf("fifo");
        Run("mkfifo", fifo);
        byte[]? read = null;
        var reader = new System.Threading.Thread(() => read = File.ReadAllBytes(fifo)) { IsBackground = true };
        reader.Start();
        var header = new RemoteFileHeader("/far/holed", "holed", 20, 0x8000 | 0b110_100_100, 0, 0, 0, 0, 0, 0) { Extents = new long[] { 0, 5, 12, 5 } };
        using (var file = new IncomingFile(fifo, header, new FileCopyRequest("/far/holed", fifo)))
        {
            Assert.True(file.WritesInPlace);
            file.Write("abcde"u8);
            file.Write("vwxyz"u8);
            file.Commit();
        }

        Assert.True(reader.Join(TimeSpan.FromSeconds(10)), "the FIFO was closed once the file was through");
        Assert.Equal("abcde\0\0\0\0\0\0\0vwxyz\0\0\0"u8.ToArray(), read);
        Assert.Equal(FileKind.Fifo, Sys.Stat(fifo, followSymlinks: false).Kind);
        Assert.Equal(new[] { fifo }, Directory.GetFileSystemEntries(scratch.Directory));
    }

    [Fact]
    public void AReplacedFileKeepsItsOwnerAndModeAsALocalCopyKeepsThem()
    {
        if (Sys.EffectiveUid != 0)
        {
            return; // giving the old file to another user needs root
        }

        using var scratch = new Scratch();
        string target = scratch.PathOf("kept");
        File.WriteAllText(target, "old");
        Run("chown", "65534:65534", target);
        Run("chmod", "604", target);
        var header = new RemoteFileHeader("/far/kept", "kept", 3, 0x8000 | 0b110_100_000, 0, 0, 0, 0, 0, 0);
        var request = new FileCopyRequest("/far/kept", target) { KeepReplaced = CopyPreserve.Ownership | CopyPreserve.Mode | CopyPreserve.ExtendedAttributes };
        using (var file = new IncomingFile(scratch.Directory, header, request))
        {
            file.Write("new"u8);
            file.Commit();
        }

        var kept = Sys.Stat(target, followSymlinks: false);
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal((65534u, 65534u, 0b110_000_100), (kept.Uid, kept.Gid, kept.Permissions));
    }

    private static void Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} failed: {process.StandardError.ReadToEnd()}");
    }
}
