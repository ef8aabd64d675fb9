using System;
using System.IO;
using System.Linq;
using System.Text;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The file every new destination is written as before it takes its name.</summary>
public class TemporaryFileTests
{
    [Fact]
    public void HiddenNamesAreUniqueAndCutByBytesToFitAName()
    {
        var names = Enumerable.Range(0, 100).Select(_ => TemporaryFile.HiddenNameFor(EntryName.From("file.txt")).ToString()).ToArray();
        Assert.Equal(100, names.Distinct().Count());
        Assert.All(names, name =>
        {
            Assert.StartsWith(".file.txt.", name, StringComparison.Ordinal);
            Assert.EndsWith(TemporaryFile.Suffix, name, StringComparison.Ordinal);
        });

        // 240 bytes of two-byte characters: cut by bytes, so the hidden name still fits in 255 bytes.
        var longName = EntryName.From(new string('é', 120));
        Assert.True(TemporaryFile.HiddenNameFor(longName).ByteLength <= 255);

        // 255 bytes: the cut falls between characters, never inside one (the name stays valid UTF-8).
        var longest = EntryName.From(new string('é', 127) + "a");
        var hidden = TemporaryFile.HiddenNameFor(longest);
        Assert.True(hidden.ByteLength <= 255);
        string decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(hidden.Bytes);
        Assert.StartsWith("." + new string('é', 10), decoded, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingIsVisibleUntilCommitAndDisposeWithoutCommitLeavesTheOldFile()
    {
        using var scratch = new Scratch();
        string destination = scratch.PathOf("target.txt");
        File.WriteAllText(destination, "old");

        using (var slot = DestinationSlot.Resolve(destination))
        using (var abandoned = slot.CreateFile())
        {
            Sys.Write(abandoned.Handle, "half"u8);
            Assert.Equal(new[] { "target.txt" }, Directory.GetFileSystemEntries(scratch.Directory).Select(Path.GetFileName));
        }

        Assert.Equal("old", File.ReadAllText(destination));

        using (var slot = DestinationSlot.Resolve(destination))
        using (var written = slot.CreateFile())
        {
            Sys.Write(written.Handle, "new"u8);
            Assert.True(written.Commit());
        }

        Assert.Equal("new", File.ReadAllText(destination));
        Assert.Equal(new[] { "target.txt" }, Directory.GetFileSystemEntries(scratch.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public void ANewFileIsPrivateUntilItsModeIsSet()
    {
        using var scratch = new Scratch();
        string destination = scratch.PathOf("new.txt");
        using var slot = DestinationSlot.Resolve(destination);
        using var file = slot.CreateFile();
        Assert.Equal(0b110_000_000, Sys.Stat(file.Handle).Permissions);
        Assert.True(file.Commit());
        Assert.Equal(0b110_000_000, Sys.Stat(destination).Permissions);
    }

    [Fact]
    public void AFileNameOf240BytesOfUtf8Copies()
    {
        using var scratch = new Scratch();
        string name = new string('é', 120);
        Assert.Equal(240, Encoding.UTF8.GetByteCount(name));
        string source = scratch.PathOf("source.txt"), destination = scratch.PathOf(name);
        File.WriteAllText(source, "payload");

        FileCopier.Copy(new FileCopyRequest(source, destination));

        Assert.Equal("payload", File.ReadAllText(destination));
    }
}
