using System;
using System.IO;
using System.Linq;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The tree walker, the sparse copier and extended attributes, on real files in a Scratch directory.</summary>
public sealed class TreeAndSparseTests
{
    [Fact]
    public void WalkListsEachDirectorysItemsTogetherBeforeWhatItsSubdirectoriesHold()
    {
        using var scratch = new Scratch();
        Directory.CreateDirectory(scratch.PathOf("t/b"));
        File.WriteAllBytes(scratch.PathOf("t/a.txt"), new byte[10]);
        File.WriteAllBytes(scratch.PathOf("t/b/c.log"), new byte[5]);
        File.CreateSymbolicLink(scratch.PathOf("t/link"), "a.txt");

        using var plan = TreeWalker.Walk(scratch.PathOf("t"), new TreeWalkOptions { Recurse = true });

        Assert.Equal(new[] { "", "a.txt", "b", "link", "b/c.log" }, RelativePaths(plan));
        Assert.Equal(FileKind.SymbolicLink, plan.Entries.Single(e => e.Name.ToString() == "link").Status.Kind);
        Assert.Equal((1, 3), (plan.Entries[0].FirstChild, plan.Entries[0].ChildCount));
        Assert.Equal(15, plan.TotalBytes);
        Assert.Equal(3, plan.FileCount);
        Assert.All(plan.Entries.Skip(1), e => Assert.True(plan.Entries[e.Parent].IsDirectory));
    }

    [Fact]
    public void WalkFiltersFilesButNotDirectoriesAndFlattens()
    {
        using var scratch = new Scratch();
        Directory.CreateDirectory(scratch.PathOf("t/sub"));
        File.WriteAllText(scratch.PathOf("t/sub/keep.txt"), "k");
        File.WriteAllText(scratch.PathOf("t/sub/drop.log"), "d");

        using var plan = TreeWalker.Walk(scratch.PathOf("t"), new TreeWalkOptions
        {
            Recurse = true,
            KeepContainers = false,
            IncludeLeaf = name => name.EndsWith(".txt", StringComparison.Ordinal),
        });

        Assert.Equal(new[] { "", "sub", "keep.txt" }, RelativePaths(plan));
    }

    [Fact]
    public void WalkKeepsNamesThatAreNotUtf8AsTheirBytes()
    {
        using var scratch = new Scratch();
        Directory.CreateDirectory(scratch.PathOf("t"));
        var latin1 = EntryName.From(new byte[] { (byte)'c', 0xE9, (byte)'.', (byte)'t', (byte)'x', (byte)'t' });
        using var dir = DirectoryHandle.Open(scratch.PathOf("t"));
        Sys.OpenAt(dir.Handle, latin1, Flags.O_WRONLY | Flags.O_CREAT | Flags.O_EXCL, 0b110_100_100, "test").Dispose();
        try
        {
            using var plan = TreeWalker.Walk(scratch.PathOf("t"), new TreeWalkOptions { Recurse = true });

            var entry = Assert.Single(plan.Entries.Skip(1));
            Assert.Equal(latin1.Bytes.ToArray(), entry.Name.Bytes.ToArray());
            Assert.Equal(FileKind.File, entry.Status.Kind);
        }
        finally
        {
            // .NET cannot name it to delete it.
            Sys.UnlinkAt(dir.Handle, latin1, isDirectory: false, "test");
        }
    }

    [Fact]
    public void FollowingLinksDetectsALoop()
    {
        using var scratch = new Scratch();
        Directory.CreateDirectory(scratch.PathOf("t/inner"));
        File.CreateSymbolicLink(scratch.PathOf("t/inner/up"), "..");

        using var plan = TreeWalker.Walk(scratch.PathOf("t"), new TreeWalkOptions { Recurse = true, FollowSymlinks = true });

        var loop = Assert.Single(plan.Entries, e => e.Problem is not null);
        Assert.Equal(Refusal.SymlinkLoop, Assert.IsType<SpliceRefusedException>(loop.Problem).Reason);
    }

    [Fact]
    public void SparseCopyMovesOnlyTheDataAndKeepsTheLength()
    {
        using var scratch = new Scratch();
        string source = scratch.PathOf("sparse.img"), copy = scratch.PathOf("sparse.copy");
        using (var fs = File.Create(source))
        {
            fs.Position = 8 << 20;
            fs.Write(Enumerable.Repeat((byte)7, 1 << 20).ToArray());
            fs.SetLength(32 << 20);
        }

        var result = FileCopier.Copy(new FileCopyRequest(source, copy));

        Assert.True(result.Sparse);
        Assert.True(result.Bytes <= 2 << 20, $"copied {result.Bytes} bytes of data");
        Assert.Equal(32 << 20, new FileInfo(copy).Length);
        Assert.True(Sys.Stat(copy).Blocks * 512 <= Sys.Stat(source).Blocks * 512 + (1 << 20));
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(copy));
    }

    [SkippableFact]
    public void ExtendedAttributesRoundTrip()
    {
        using var scratch = new Scratch();
        string path = scratch.PathOf("x");
        File.WriteAllText(path, "x");
        using var handle = Sys.Open(path, Flags.O_RDONLY);
        try
        {
            Sys.SetExtendedAttribute(handle, "user.splice", new byte[] { 1, 2, 3 }, path);
        }
        catch (SpliceException e) when (e.ErrnoName is "EOPNOTSUPP" or "EPERM")
        {
            Skip.If(true, $"{scratch.Directory} keeps no user extended attributes ({e.ErrnoName}).");
        }

        Assert.Contains("user.splice", Sys.ListExtendedAttributes(handle, path));
        Assert.Equal(new byte[] { 1, 2, 3 }, Sys.GetExtendedAttribute(handle, "user.splice", path));
        Assert.Null(Sys.GetExtendedAttribute(handle, "user.absent", path));
    }

    private static string[] RelativePaths(TreePlan plan) =>
        Enumerable.Range(0, plan.Entries.Count).Select(i => i == 0 ? string.Empty : plan.DestinationPathOf(i, "R")[2..]).ToArray();
}
