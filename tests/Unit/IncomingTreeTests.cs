using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The receiving end of a tree stream fed frames no honest sender makes, as a hostile
/// far host could send them.</summary>
[Collection(ProcessWideState.Name)]
public sealed class IncomingTreeTests
{
    [Fact]
    public void DirectoriesNestedPastPathMaxAreRefusedAndReadPastWithoutADescriptorPerLevel()
    {
        using var scratch = new Scratch();
        System.IO.Directory.CreateDirectory(scratch.PathOf("to"));
        var status = Sys.Stat(scratch.Directory);
        const int depth = 5000;
        var chunks = new Queue<byte[]>();
        using (var wire = TreeWires.InChunks(chunks.Enqueue))
        {
            new TreeFrame(TreeFrameKind.Enter) { Name = "t"u8.ToArray(), Status = status }.Write(wire);
            for (int i = 0; i < depth; i++)
            {
                new TreeFrame(TreeFrameKind.Enter) { Name = "d"u8.ToArray(), Status = status }.Write(wire);
            }

            for (int i = 0; i <= depth; i++)
            {
                new TreeFrame(TreeFrameKind.Leave).Write(wire);
            }

            new TreeFrame(TreeFrameKind.Done).Write(wire);
            wire.End();
        }

        int descriptorsBefore = Scratch.OpenDescriptors();
        var observer = new FailureLog();
        int deepestOpen = 0;
        using (var tree = new IncomingTree(scratch.PathOf("to"), new RemoteTreeHeader("/far/t", "t", 0, 0), new FileCopyRequest("/far/t", scratch.PathOf("to/t")), observer))
        {
            observer.OnCopied = () => deepestOpen = Math.Max(deepestOpen, Scratch.OpenDescriptors(settle: false) - descriptorsBefore);
            tree.ReceiveFrom(TreeWires.FromChunks(() => chunks.Count > 0 ? chunks.Dequeue() : null));
        }

        var failure = Assert.Single(observer.Failures);
        Assert.Equal(Errno.ENAMETOOLONG, Assert.IsType<SpliceException>(failure).Errno);
        Assert.True(deepestOpen < Flags.PATH_MAX / 2 + 16, $"{deepestOpen} descriptors open at the deepest");
        string deepest = scratch.PathOf("to/t");
        while (Directory.Exists(Path.Combine(deepest, "d")))
        {
            deepest = Path.Combine(deepest, "d");
        }

        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(deepest), Flags.PATH_MAX - 3, Flags.PATH_MAX - 1);
        Assert.Empty(scratch.DescriptorsInside());
    }

    private static readonly FileStatus DirectoryStatus = Sys.Stat("/");

    private static FileStatus FileOf(long size) => new(0x8000 | 0b110_100_100, size, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Receives the frames <paramref name="send"/> writes (inside the root directory "t",
    /// which it must leave itself) into scratch/to; returns the failures of items, and the
    /// exception that ended the stream (null: it ended well).</summary>
    private static (List<Exception> Failures, Exception? Ended) Receive(Scratch scratch, Action<TreeWireOut> send)
    {
        System.IO.Directory.CreateDirectory(scratch.PathOf("to"));
        var chunks = new Queue<byte[]>();
        using (var wire = TreeWires.InChunks(chunks.Enqueue))
        {
            new TreeFrame(TreeFrameKind.Enter) { Name = "t"u8.ToArray(), Status = DirectoryStatus }.Write(wire);
            send(wire);
            wire.End();
        }

        var observer = new FailureLog();
        Exception? ended = null;
        using (var tree = new IncomingTree(scratch.PathOf("to"), new RemoteTreeHeader("/far/t", "t", 0, 0), new FileCopyRequest("/far/t", scratch.PathOf("to/t")), observer))
        {
            try
            {
                tree.ReceiveFrom(TreeWires.FromChunks(() => chunks.Count > 0 ? chunks.Dequeue() : null));
            }
            catch (RemoteCopyException e)
            {
                ended = e;
            }
        }

        return (observer.Failures, ended);
    }

    private static void SendFile(TreeWireOut wire, string name, byte[] content, uint group = 0, long? length = null)
    {
        new TreeFrame(TreeFrameKind.File) { Name = System.Text.Encoding.UTF8.GetBytes(name), Status = FileOf(content.Length), Group = group }.Write(wire);
        if (content.Length > 0)
        {
            TreeFrame.WriteSegment(wire, 0, content.Length);
            content.CopyTo(wire.Reserve(content.Length));
            wire.Advance(content.Length);
        }

        TreeFrame.WriteSegment(wire, length ?? content.Length, TreeFrame.EndOfContent);
    }

    private static void Raw(TreeWireOut wire, params byte[] bytes)
    {
        bytes.CopyTo(wire.Reserve(bytes.Length));
        wire.Advance(bytes.Length);
    }

    private static string[] Everything(Scratch scratch) =>
        Directory.GetFileSystemEntries(scratch.Directory, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(scratch.Directory, p)).Order().ToArray();

    [Theory]
    [InlineData("a/b")]
    [InlineData("/etc")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("")]
    [InlineData("a\0b")]
    public void NamesThatAreNotOneNameEndTheStreamAsMalformedAndWriteNothing(string name)
    {
        using var scratch = new Scratch();
        foreach (var kind in new[] { TreeFrameKind.Enter, TreeFrameKind.File, TreeFrameKind.Link, TreeFrameKind.Node, TreeFrameKind.HardLink })
        {
            var (_, ended) = Receive(scratch, wire =>
            {
                var status = kind switch { TreeFrameKind.Enter => DirectoryStatus, TreeFrameKind.Link => new FileStatus(0xA000 | 0b111_111_111, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0), TreeFrameKind.Node => new FileStatus(0x1000 | 0b110_100_100, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0), _ => FileOf(0) };
                new TreeFrame(kind) { Name = System.Text.Encoding.UTF8.GetBytes(name), Status = status, Text = "x"u8.ToArray(), Group = 1 }.Write(wire);
                TreeFrame.WriteSegment(wire, 0, TreeFrame.EndOfContent);
            });

            Assert.Contains("not one name", Assert.IsType<RemoteCopyException>(ended).Message);
            Assert.Equal(new[] { "to", "to/t" }, Everything(scratch));
        }
    }

    [Fact]
    public void LengthsPastTheirBoundsAreRefusedBeforeAnythingTheSizeTheyClaimIsMade()
    {
        using var scratch = new Scratch();
        var (_, longName) = Receive(scratch, wire => Raw(wire, (byte)TreeFrameKind.File, 0xFF, 0xFF));
        Assert.Contains("a name too long", longName!.Message);
        var (_, name256) = Receive(scratch, wire => new TreeFrame(TreeFrameKind.Enter) { Name = Enumerable.Repeat((byte)'n', 256).ToArray(), Status = DirectoryStatus }.Write(wire));
        Assert.Contains("not one name", name256!.Message);

        // A link frame whose target length says 65535: refused on its length, not read.
        var link = new byte[3 + 1 + 44 + 2];
        link[0] = (byte)TreeFrameKind.Link;
        link[1] = 1;
        link[3] = (byte)'l';
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(link.AsSpan(4), 0xA000 | 0b111_111_111);
        link[4 + 36] = 1;
        link[^2] = link[^1] = 0xFF;
        var (_, longTarget) = Receive(scratch, wire => Raw(wire, link));
        Assert.Contains("link target too long", longTarget!.Message);
        Assert.Equal(new[] { "to", "to/t" }, Everything(scratch));
    }

    [Fact]
    public void FramesOutOfPlaceEndTheStreamAsMalformed()
    {
        using var scratch = new Scratch();
        var (_, afterRoot) = Receive(scratch, wire =>
        {
            new TreeFrame(TreeFrameKind.Leave).Write(wire);
            new TreeFrame(TreeFrameKind.Leave).Write(wire);
        });
        Assert.Contains("after its root directory was complete", afterRoot!.Message);

        var (_, doneInside) = Receive(scratch, wire =>
        {
            new TreeFrame(TreeFrameKind.Enter) { Name = "d"u8.ToArray(), Status = DirectoryStatus }.Write(wire);
            new TreeFrame(TreeFrameKind.Done).Write(wire);
        });
        Assert.Contains("an end before its last directory was complete", doneInside!.Message);

        var (_, unknown) = Receive(scratch, wire => Raw(wire, 99, 0, 0));
        Assert.Contains("an unknown frame", unknown!.Message);
        var (_, cut) = Receive(scratch, wire => Raw(wire, (byte)TreeFrameKind.File, 1));
        Assert.NotNull(cut);
    }

    [Fact]
    public void ANodeFrameOfAnotherKindIsMalformedAndMakesNothing()
    {
        using var scratch = new Scratch();
        foreach (uint type in new uint[] { 0x8000, 0x4000, 0xA000 })
        {
            var (_, ended) = Receive(scratch, wire =>
                new TreeFrame(TreeFrameKind.Node) { Name = "n"u8.ToArray(), Status = new FileStatus(type | 0b110_100_100, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0) }.Write(wire));

            Assert.Contains("announced as a Node", Assert.IsType<RemoteCopyException>(ended).Message);
            Assert.Equal(new[] { "to", "to/t" }, Everything(scratch));
        }
    }

    [Fact]
    public void SegmentsPastTheEndOverlappingOrOverflowingLeaveAFileOfItsFinalLengthOrEndTheStream()
    {
        using var scratch = new Scratch();
        var (failures, ended) = Receive(scratch, wire =>
        {
            // Backwards and overlapping, beyond both the header's size (4) and the final length (3).
            new TreeFrame(TreeFrameKind.File) { Name = "f"u8.ToArray(), Status = FileOf(4) }.Write(wire);
            TreeFrame.WriteSegment(wire, 8, 2);
            Raw(wire, (byte)'y', (byte)'y');
            TreeFrame.WriteSegment(wire, 0, 6);
            Raw(wire, "abcdef"u8.ToArray());
            TreeFrame.WriteSegment(wire, 3, TreeFrame.EndOfContent);
            new TreeFrame(TreeFrameKind.Leave).Write(wire);
            new TreeFrame(TreeFrameKind.Done).Write(wire);
        });
        Assert.Null(ended);
        Assert.Empty(failures);
        Assert.Equal("abc"u8.ToArray(), File.ReadAllBytes(scratch.PathOf("to/t/f")));

        var (_, overflow) = Receive(scratch, wire =>
        {
            new TreeFrame(TreeFrameKind.File) { Name = "g"u8.ToArray(), Status = FileOf(1) }.Write(wire);
            TreeFrame.WriteSegment(wire, long.MaxValue - 1, 4);
            Raw(wire, 1, 2, 3, 4);
        });
        Assert.Contains("a segment out of range", overflow!.Message);
        Assert.False(File.Exists(scratch.PathOf("to/t/g")));
    }

    [Fact]
    public void HardLinkGroupsNeverAnnouncedAreItemErrorsAndOnesAnnouncedTwiceEndTheStream()
    {
        using var scratch = new Scratch();
        var (failures, ended) = Receive(scratch, wire =>
        {
            SendFile(wire, "a", "one"u8.ToArray(), group: 1);
            new TreeFrame(TreeFrameKind.HardLink) { Name = "b"u8.ToArray(), Group = 7 }.Write(wire);
            new TreeFrame(TreeFrameKind.HardLink) { Name = "c"u8.ToArray(), Group = 1 }.Write(wire);
            new TreeFrame(TreeFrameKind.Leave).Write(wire);
            new TreeFrame(TreeFrameKind.Done).Write(wire);
        });
        Assert.Null(ended);
        Assert.IsType<IOException>(Assert.Single(failures));
        Assert.False(File.Exists(scratch.PathOf("to/t/b")));
        Assert.Equal(Sys.Stat(scratch.PathOf("to/t/a")).Inode, Sys.Stat(scratch.PathOf("to/t/c")).Inode);

        var (_, twice) = Receive(scratch, wire =>
        {
            SendFile(wire, "d", "two"u8.ToArray(), group: 2);
            SendFile(wire, "e", "three"u8.ToArray(), group: 2);
        });
        Assert.Contains("announced a second time", twice!.Message);
        Assert.False(File.Exists(scratch.PathOf("to/t/e")));
        Assert.Empty(scratch.DescriptorsInside());
    }

    [Fact]
    public void AGroupPerFileHoldsABoundedNumberOfDescriptorsAndStillLinksEveryName()
    {
        using var scratch = new Scratch();
        int files = IncomingTree.HeldGroups + 200;
        int before = Scratch.OpenDescriptors(), most = 0;
        var observer = new FailureLog { OnCopied = () => most = Math.Max(most, Scratch.OpenDescriptors(settle: false) - before) };
        System.IO.Directory.CreateDirectory(scratch.PathOf("to"));
        var chunks = new Queue<byte[]>();
        using (var wire = TreeWires.InChunks(chunks.Enqueue))
        {
            new TreeFrame(TreeFrameKind.Enter) { Name = "t"u8.ToArray(), Status = DirectoryStatus }.Write(wire);
            for (int i = 1; i <= files; i++)
            {
                SendFile(wire, $"f{i}", Array.Empty<byte>(), group: (uint)i);
            }

            new TreeFrame(TreeFrameKind.HardLink) { Name = "first"u8.ToArray(), Group = 1 }.Write(wire);
            new TreeFrame(TreeFrameKind.HardLink) { Name = "last"u8.ToArray(), Group = (uint)files }.Write(wire);
            new TreeFrame(TreeFrameKind.Leave).Write(wire);
            new TreeFrame(TreeFrameKind.Done).Write(wire);
            wire.End();
        }

        using (var tree = new IncomingTree(scratch.PathOf("to"), new RemoteTreeHeader("/far/t", "t", 0, 0), new FileCopyRequest("/far/t", scratch.PathOf("to/t")), observer))
        {
            tree.ReceiveFrom(TreeWires.FromChunks(() => chunks.Count > 0 ? chunks.Dequeue() : null));
        }

        Assert.InRange(most, 1, IncomingTree.HeldGroups + 16);
        Assert.Empty(observer.Failures);
        Assert.Equal(Sys.Stat(scratch.PathOf("to/t/f1")).Inode, Sys.Stat(scratch.PathOf("to/t/first")).Inode);
        Assert.Equal(Sys.Stat(scratch.PathOf($"to/t/f{files}")).Inode, Sys.Stat(scratch.PathOf("to/t/last")).Inode);
        Assert.Empty(scratch.DescriptorsInside());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFirstCopyLetGoIsOpenedAgainThroughItsDirectoriesOnlyIfItIsStillTheFileWritten(bool replaced)
    {
        using var scratch = new Scratch();
        int files = IncomingTree.HeldGroups + 10;
        System.IO.Directory.CreateDirectory(scratch.PathOf("to"));
        var chunks = new Queue<byte[]>();
        using (var wire = TreeWires.InChunks(chunks.Enqueue))
        {
            new TreeFrame(TreeFrameKind.Enter) { Name = "t"u8.ToArray(), Status = DirectoryStatus }.Write(wire);
            new TreeFrame(TreeFrameKind.Enter) { Name = "s"u8.ToArray(), Status = DirectoryStatus }.Write(wire);
            SendFile(wire, "f1", "first"u8.ToArray(), group: 1);
            new TreeFrame(TreeFrameKind.Leave).Write(wire);
            for (int i = 2; i <= files; i++)
            {
                SendFile(wire, $"f{i}", Array.Empty<byte>(), group: (uint)i);
            }

            new TreeFrame(TreeFrameKind.HardLink) { Name = "again"u8.ToArray(), Group = 1 }.Write(wire);
            new TreeFrame(TreeFrameKind.Leave).Write(wire);
            new TreeFrame(TreeFrameKind.Done).Write(wire);
            wire.End();
        }

        var observer = new FailureLog();
        string first = scratch.PathOf("to/t/s/f1");
        observer.OnCopied = () =>
        {
            if (replaced && File.Exists(scratch.PathOf($"to/t/f{files}")) && !File.Exists(first + ".moved"))
            {
                File.Move(first, first + ".moved");
                File.WriteAllText(first, "another");
            }
        };
        using (var tree = new IncomingTree(scratch.PathOf("to"), new RemoteTreeHeader("/far/t", "t", 0, 0), new FileCopyRequest("/far/t", scratch.PathOf("to/t")), observer))
        {
            tree.ReceiveFrom(TreeWires.FromChunks(() => chunks.Count > 0 ? chunks.Dequeue() : null));
        }

        if (replaced)
        {
            Assert.IsType<IOException>(Assert.Single(observer.Failures));
            Assert.False(File.Exists(scratch.PathOf("to/t/again")));
        }
        else
        {
            Assert.Empty(observer.Failures);
            Assert.Equal(Sys.Stat(first).Inode, Sys.Stat(scratch.PathOf("to/t/again")).Inode);
        }

        Assert.Empty(scratch.DescriptorsInside());
    }

    private sealed class FailureLog : ITreeCopyObserver
    {
        public List<Exception> Failures { get; } = new();

        public Action? OnCopied { get; set; }

        public bool NeedsItemsInPlace => false;

        public void ItemCopied(string sourcePath, string destinationPath, FileCopyResult? file, MetadataReport metadata) => OnCopied?.Invoke();

        public void MetadataNotice(string destinationPath, MetadataReport metadata)
        {
        }

        public void ItemFailed(string sourcePath, string destinationPath, Exception error) => Failures.Add(error);

        public void Tally(bool isLeaf, FileCopyResult? file)
        {
        }

        public void Untouched(long items, long bytes)
        {
        }

        public void ItemRemoved(string destinationPath, int items)
        {
        }

        public void Notice(string message)
        {
        }

        public void Progress(long bytesDone, int itemsDone, string? currentItem)
        {
        }
    }
}
