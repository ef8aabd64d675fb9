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

        int descriptorsBefore = Directory.GetFiles("/proc/self/fd").Length;
        var observer = new FailureLog();
        int deepestOpen = 0;
        using (var tree = new IncomingTree(scratch.PathOf("to"), new RemoteTreeHeader("/far/t", "t", 0, 0), new FileCopyRequest("/far/t", scratch.PathOf("to/t")), observer))
        {
            observer.OnCopied = () => deepestOpen = Math.Max(deepestOpen, Directory.GetFiles("/proc/self/fd").Length - descriptorsBefore);
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
        Assert.Equal(descriptorsBefore, Directory.GetFiles("/proc/self/fd").Length);
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
