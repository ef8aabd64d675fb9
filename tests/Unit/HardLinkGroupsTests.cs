using System.IO;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>-Preserve Links links further names only to the file the copy itself wrote.</summary>
public class HardLinkGroupsTests
{
    [Fact]
    public void TheFirstCopyIsHeldOnlyWhileItIsTheFileThatWasWritten()
    {
        using var scratch = new Scratch();
        string destination = scratch.PathOf("first");
        using var slot = DestinationSlot.Resolve(destination);
        FileStatus written;
        using (var temporary = slot.CreateFile())
        {
            Sys.Write(temporary.Handle, "copy"u8);
            written = Sys.Stat(temporary.Handle);
            Assert.True(temporary.Commit());
        }

        using (var held = HardLinkGroups.OpenWritten(slot, written, out var seen))
        {
            Assert.NotNull(held);
            Assert.True(seen.IsSameFile(written));
        }

        // Another file of the same size renamed over the name, as whoever may write in that
        // directory can do at any moment: it is not the copy, whatever its size and kind.
        string other = scratch.PathOf("other");
        File.WriteAllText(other, "evil");
        File.Move(other, destination, overwrite: true);
        Assert.Null(HardLinkGroups.OpenWritten(slot, written, out var found));
        Assert.False(found.IsSameFile(written));
        Assert.Empty(scratch.DescriptorsInside());
    }
}
