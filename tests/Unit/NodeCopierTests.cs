using System.IO;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>Links and nodes of a tree, recreated from what the walk saw.</summary>
public class NodeCopierTests
{
    [Fact]
    public void ALinkOfTheWalkThatIsNoLongerALinkIsSourceChanged()
    {
        using var scratch = new Scratch();
        string link = scratch.PathOf("link");
        File.CreateSymbolicLink(link, "/etc");
        var walked = Sys.Stat(link, followSymlinks: false);
        Assert.Equal(FileKind.SymbolicLink, walked.Kind);

        // Replaced by a directory after the walk, as the owner of a source tree can do.
        File.Delete(link);
        Directory.CreateDirectory(link);
        using var source = DirectoryHandle.Open(scratch.Directory);
        using var slot = DestinationSlot.Resolve(scratch.PathOf("copy"));
        var refused = Assert.Throws<SpliceRefusedException>(() => NodeCopier.CopyLink(source, EntryName.From("link"), walked, slot, CopyPreserve.Mode));
        Assert.Equal(Refusal.SourceChanged, refused.Reason);
        Assert.False(Path.Exists(scratch.PathOf("copy")));
    }

    [Fact]
    public void AnUpdateOfALinkThatIsNoLongerALinkIsSourceChanged()
    {
        using var scratch = new Scratch();
        string link = scratch.PathOf("link");
        File.CreateSymbolicLink(link, "/etc");
        File.CreateSymbolicLink(scratch.PathOf("copy"), "/etc");
        var walked = Sys.Stat(link, followSymlinks: false);

        File.Delete(link);
        Directory.CreateDirectory(link);
        using var source = DirectoryHandle.Open(scratch.Directory);
        using var slot = DestinationSlot.Resolve(scratch.PathOf("copy"));
        var refused = Assert.Throws<SpliceRefusedException>(() => ChangeCheck.SameNode(source, EntryName.From("link"), walked, slot));
        Assert.Equal(Refusal.SourceChanged, refused.Reason);
    }

    [Fact]
    public void ADestinationLinkReplacedSinceItWasSeenIsNoMatch()
    {
        using var scratch = new Scratch();
        File.CreateSymbolicLink(scratch.PathOf("link"), "/etc");
        File.CreateSymbolicLink(scratch.PathOf("copy"), "/etc");
        var walked = Sys.Stat(scratch.PathOf("link"), followSymlinks: false);
        using var source = DirectoryHandle.Open(scratch.Directory);
        using var slot = DestinationSlot.Resolve(scratch.PathOf("copy"));
        Assert.True(ChangeCheck.SameNode(source, EntryName.From("link"), walked, slot));

        File.Delete(scratch.PathOf("copy"));
        Assert.False(ChangeCheck.SameNode(source, EntryName.From("link"), walked, slot));
        Directory.CreateDirectory(scratch.PathOf("copy"));
        Assert.False(ChangeCheck.SameNode(source, EntryName.From("link"), walked, slot));
    }
}
