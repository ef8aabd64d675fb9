using System;
using System.IO;
using System.Linq;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>What a killed copy left behind is removed, and nothing else.</summary>
public class StaleTemporaryFilesTests
{
    [Theory]
    [InlineData(".report.pdf.0123456789ab.splicetmp", true)]
    [InlineData("..0123456789ab.splicetmp", false)]
    [InlineData(".report.pdf.0123456789AB.splicetmp", false)]
    [InlineData(".report.pdf.0123456789a.splicetmp", false)]
    [InlineData("report.pdf.0123456789ab.splicetmp", false)]
    [InlineData(".report.pdf.0123456789ab.splicetmp.keep", false)]
    public void RecognisesOnlyItsOwnPattern(string name, bool expected) =>
        Assert.Equal(expected, StaleTemporaryFiles.IsTemporaryName(EntryName.From(name).Bytes));

    [Fact]
    public void RemovesLeftoversButNotALockedOneNorOtherNames()
    {
        using var scratch = new Scratch();
        string leftover = scratch.Write(".a.txt.0123456789ab.splicetmp", new byte[] { 1 });
        string live = scratch.Write(".b.txt.0123456789ab.splicetmp", new byte[] { 2 });
        string other = scratch.Write("c.txt", new byte[] { 3 });
        File.CreateSymbolicLink(scratch.PathOf(".d.0123456789ab.splicetmp"), other);
        using var held = Sys.Open(live, Flags.O_RDONLY);
        Assert.True(Sys.TryLock(held, exclusive: false, live));
        using var directory = DirectoryHandle.Open(scratch.Directory);

        // A cutoff in the future makes everything old enough; the real one is a day ago.
        StaleTemporaryFiles.Sweep(directory, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);

        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other));
        Assert.Null(Sys.TryStat(scratch.PathOf(".d.0123456789ab.splicetmp"), followSymlinks: false));
        Assert.Equal(new byte[] { 3 }, File.ReadAllBytes(other));
    }

    [Fact]
    public void LeavesRecentLeftoversAlone()
    {
        using var scratch = new Scratch();
        string recent = scratch.Write(".a.txt.0123456789ab.splicetmp", new byte[] { 1 });
        using var directory = DirectoryHandle.Open(scratch.Directory);

        StaleTemporaryFiles.Sweep(directory, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 24 * 60 * 60);

        Assert.True(File.Exists(recent));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void NotesOnlyPrivateDirectoriesOfItsPatternForTheHiddenTops()
    {
        using var scratch = new Scratch();
        string hidden = scratch.PathOf(".tree.0123456789ab.splicetmp");
        string open = scratch.PathOf(".other.0123456789ab.splicetmp");
        string plain = scratch.PathOf("tree");
        foreach (string path in new[] { hidden, open, plain })
        {
            Directory.CreateDirectory(path);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        File.SetUnixFileMode(open, File.GetUnixFileMode(open) | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        using var directory = DirectoryHandle.Open(scratch.Directory);

        var noted = StaleTemporaryFiles.Sweep(directory, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);

        Assert.Equal(new[] { ".tree.0123456789ab.splicetmp" }, noted.Select(name => name.ToString()));
        Assert.True(Directory.Exists(hidden), "a directory is never removed by the sweep itself");
    }
}
