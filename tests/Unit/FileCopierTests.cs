using System;
using System.IO;
using System.Linq;
using System.Threading;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The temporary file and rename: a failed copy leaves no trace and the old destination.</summary>
public class FileCopierTests
{
    private static string[] Leftovers(Scratch scratch) =>
        Directory.GetFiles(scratch.Directory, "*.splicetmp", SearchOption.AllDirectories);

    [Theory]
    [InlineData(CopyMethod.ReadWrite)]
    [InlineData(CopyMethod.Splice)]
    [InlineData(CopyMethod.SendFile)]
    [InlineData(CopyMethod.CopyFileRange)]
    public void AnErrorMidwayLeavesTheOldDestinationAndNoTemporaryFile(CopyMethod method)
    {
        using var scratch = new Scratch();
        byte[] oldContent = Scratch.Bytes(1000, 1);
        string source = scratch.Write("src", Scratch.Bytes(200 * 1024 * 1024 / 64, 2));
        string target = scratch.Write("dst", oldContent);
        ulong oldInode = Sys.Stat(target).Inode;
        // Cancel from inside the copy, after the first chunk has been written to the temporary file.
        using var cancel = new CancellationTokenSource();
        long seen = 0;
        var request = new FileCopyRequest(source, target)
        {
            Method = method,
            Cancellation = cancel.Token,
            Progress = bytes =>
            {
                seen = bytes;
                // The new content has no name while it is written (O_TMPFILE).
                Assert.Equal(new[] { "dst", "src" }, Directory.GetFileSystemEntries(scratch.Directory).Select(Path.GetFileName).Order());
                throw new IOException("disk unplugged");
            },
        };

        var error = Assert.Throws<IOException>(() => FileCopier.Copy(request));

        Assert.Equal("disk unplugged", error.Message);
        Assert.True(seen > 0);
        Assert.Empty(Leftovers(scratch));
        Assert.Equal(oldContent, File.ReadAllBytes(target));
        Assert.Equal(oldInode, Sys.Stat(target).Inode);
    }

    [Fact]
    public void CancellationBeforeTheFirstByteLeavesNothing()
    {
        using var scratch = new Scratch();
        string source = scratch.Write("src", Scratch.Bytes(100_000));
        string target = scratch.PathOf("dst");
        var request = new FileCopyRequest(source, target) { Method = CopyMethod.ReadWrite, Cancellation = new CancellationToken(canceled: true) };

        Assert.ThrowsAny<OperationCanceledException>(() => FileCopier.Copy(request));

        Assert.False(File.Exists(target));
        Assert.Empty(Leftovers(scratch));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void ASuccessfulCopyReplacesTheDestinationByRenameAndKeepsModeAndTimes()
    {
        using var scratch = new Scratch();
        byte[] content = Scratch.Bytes(70_000, 4);
        string source = scratch.Write("src", content);
        File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherExecute);
        var stamp = new DateTime(2003, 4, 5, 6, 7, 8, DateTimeKind.Utc).AddTicks(1234567);
        File.SetLastWriteTimeUtc(source, stamp);
        string target = scratch.Write("dst", Scratch.Bytes(10, 9));
        ulong oldInode = Sys.Stat(target).Inode;

        var result = FileCopier.Copy(new FileCopyRequest(source, target));

        Assert.Equal(content.Length, result.Bytes);
        Assert.Equal(content, File.ReadAllBytes(target));
        Assert.NotEqual(oldInode, Sys.Stat(target).Inode);
        Assert.Equal(Sys.Stat(source).Permissions, Sys.Stat(target).Permissions);
        Assert.Equal(Sys.Stat(source).LastWriteTimeUtc, Sys.Stat(target).LastWriteTimeUtc);
        Assert.Equal(stamp, Sys.Stat(target).LastWriteTimeUtc);
        Assert.Empty(Leftovers(scratch));
    }

    [Fact]
    public void ASymlinkWhereTheDestinationGoesIsReplacedNotWrittenThrough()
    {
        using var scratch = new Scratch();
        string source = scratch.Write("src", Scratch.Bytes(500, 1));
        byte[] victimContent = Scratch.Bytes(50, 2);
        string victim = scratch.Write("victim", victimContent);
        string link = scratch.PathOf("link");
        File.CreateSymbolicLink(link, victim);

        FileCopier.Copy(new FileCopyRequest(source, link));

        Assert.Equal(victimContent, File.ReadAllBytes(victim));
        Assert.Equal(FileKind.File, Sys.Stat(link, followSymlinks: false).Kind);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(link));
    }

    [Theory]
    [InlineData("hard")]
    [InlineData("symbolic")]
    public void ACopyOntoItselfThroughALinkIsRefusedBeforeAnythingIsOpenedForWriting(string kind)
    {
        using var scratch = new Scratch();
        byte[] content = Scratch.Bytes(4096, 3);
        string source = scratch.Write("src", content);
        string link = scratch.PathOf("link");
        if (kind == "hard")
        {
            Assert.Equal(0, Link(source, link));
        }
        else
        {
            File.CreateSymbolicLink(link, source);
        }

        var refused = Assert.Throws<SpliceRefusedException>(() => FileCopier.Copy(new FileCopyRequest(source, link)));

        Assert.Equal(Refusal.SameFile, refused.Reason);
        Assert.Equal(content, File.ReadAllBytes(source));
        Assert.Empty(Leftovers(scratch));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);
}
