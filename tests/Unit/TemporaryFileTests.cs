using System;
using System.IO;
using System.Linq;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The file every new destination is written as before it takes its name.</summary>
public class TemporaryFileTests
{
    [Fact]
    public void TemporaryNamesAreHiddenUniqueAndBesideTheDestination()
    {
        var names = Enumerable.Range(0, 100).Select(_ => TemporaryFile.PathFor("/some/dir/file.txt")).ToArray();
        Assert.Equal(100, names.Distinct().Count());
        Assert.All(names, name =>
        {
            Assert.Equal("/some/dir", Path.GetDirectoryName(name));
            Assert.StartsWith(".file.txt.", Path.GetFileName(name), StringComparison.Ordinal);
            Assert.EndsWith(".splicetmp", name, StringComparison.Ordinal);
        });
        Assert.True(Path.GetFileName(TemporaryFile.PathFor("/d/" + new string('x', 300))).Length < 255);
    }

    [Fact]
    public void CommitRenamesOverTheDestinationAndDisposeWithoutCommitLeavesItAlone()
    {
        using var scratch = new Scratch();
        string destination = scratch.PathOf("target.txt");
        File.WriteAllText(destination, "old");

        using (var abandoned = TemporaryFile.Beside(destination))
        {
            Assert.True(File.Exists(abandoned.Path));
            Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(abandoned.Path), 8));
        }

        Assert.Equal("old", File.ReadAllText(destination));
        Assert.Empty(Directory.GetFiles(scratch.Directory, "*.splicetmp"));

        using (var written = TemporaryFile.Beside(destination))
        {
            using (var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(written.Handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Write))
            {
                stream.Write("new"u8);
            }

            written.Commit();
        }

        Assert.Equal("new", File.ReadAllText(destination));
        Assert.Empty(Directory.GetFiles(scratch.Directory, "*.splicetmp"));
    }
}
