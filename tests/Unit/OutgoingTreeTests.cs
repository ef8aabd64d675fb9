using System.Collections.Generic;
using System.IO;
using System.Threading;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>What the sending end of a tree announces.</summary>
public sealed class OutgoingTreeTests
{
    [Fact]
    public void OnlyFilesThatSeveralNamesOfTheTreeShareAreSentAsHardLinkGroups()
    {
        using var scratch = new Scratch();
        Directory.CreateDirectory(scratch.PathOf("t"));
        scratch.Write("t/twice", new byte[] { 1 });
        HardLink(scratch.PathOf("t/twice"), scratch.PathOf("t/again"));
        scratch.Write("t/once", new byte[] { 2 });
        HardLink(scratch.PathOf("t/once"), scratch.PathOf("outside"));

        var chunks = new Queue<byte[]>();
        using (var tree = new OutgoingTree(scratch.PathOf("t"), new TreeWalkOptions(), CopyPreserve.Links, verify: false))
        {
            tree.SendTo(TreeWires.InChunks(chunks.Enqueue), CancellationToken.None, null);
        }

        var wire = TreeWires.FromChunks(() => chunks.Count > 0 ? chunks.Dequeue() : null);
        var groups = new Dictionary<string, (TreeFrameKind Kind, uint Group)>();
        for (var frame = TreeFrame.Read(wire); frame.Kind != TreeFrameKind.Done; frame = TreeFrame.Read(wire))
        {
            if (frame.Kind is TreeFrameKind.File or TreeFrameKind.HardLink)
            {
                groups[frame.NameText] = (frame.Kind, frame.Group);
            }

            if (frame.Kind == TreeFrameKind.File)
            {
                while (TreeFrame.ReadSegment(wire) is var (_, length) && length != TreeFrame.EndOfContent)
                {
                    wire.Skip(length);
                }
            }
        }

        Assert.Equal(0u, groups["once"].Group);
        var first = groups.ContainsKey("twice") && groups["twice"].Kind == TreeFrameKind.File ? groups["twice"] : groups["again"];
        var second = groups["twice"].Kind == TreeFrameKind.HardLink ? groups["twice"] : groups["again"];
        Assert.NotEqual(0u, first.Group);
        Assert.Equal((TreeFrameKind.HardLink, first.Group), second);
    }

    private static void HardLink(string existing, string name)
    {
        using var ln = System.Diagnostics.Process.Start("ln", new[] { "--", existing, name })!;
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);
    }
}
