using System;
using System.Collections.Generic;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>One item of a directory tree to copy: its name in its directory (bytes, as the kernel
/// has it), its directory's index and what the walk saw. <see cref="Status"/> is what will be
/// copied: the link itself for a symbolic link, or its target when links are followed. A
/// directory's children are the <see cref="ChildCount"/> entries from <see cref="FirstChild"/>.</summary>
internal sealed class TreeEntry
{
    public TreeEntry(EntryName name, int parent, FileStatus status)
    {
        Name = name;
        Parent = parent;
        Status = status;
    }

    public EntryName Name { get; }

    /// <summary>Set when the walk places the entry in the plan (a parallel walk lists before it places).</summary>
    public int Parent { get; set; }

    public FileStatus Status { get; }

    public int FirstChild { get; set; }

    public int ChildCount { get; set; }

    /// <summary>A directory's leaves that the walk left out as unchanged (-Mirror only), in order:
    /// the source has them, so they stay.</summary>
    public EntryName[]? LeftOut { get; set; }

    /// <summary>Why this item cannot be copied (a symlink loop, an unreadable directory); reported in order.</summary>
    public Exception? Problem { get; set; }

    public bool IsDirectory => Status.Kind == FileKind.Directory;
}

/// <summary>
/// A tree walked before anything is written (progress knows the totals, and a destination inside
/// the source cannot feed the walk). Entries hold names, not paths: paths are made only for
/// messages, so a deep tree costs its names once. The walk's root directory stays open: the copy
/// reaches every source through it.
/// </summary>
internal sealed class TreePlan : IDisposable
{
    public TreePlan(string rootPath, DirectoryHandle root, bool keepsContainers, bool followsSymlinks)
    {
        RootPath = rootPath;
        Root = root;
        KeepsContainers = keepsContainers;
        FollowsSymlinks = followsSymlinks;
    }

    public string RootPath { get; }

    public DirectoryHandle Root { get; }

    public List<TreeEntry> Entries { get; } = new();

    public long TotalBytes { get; set; }

    public int FileCount { get; set; }

    /// <summary>Of <see cref="FileCount"/> and <see cref="TotalBytes"/>: the leaves the walk found
    /// unchanged and left out of <see cref="Entries"/> (<see cref="TreeWalkOptions.Unchanged"/>).</summary>
    public int UntouchedCount { get; set; }

    public long UntouchedBytes { get; set; }

    /// <summary>Items keep their directories (-Container), so no two items have the same
    /// destination; without it every file lands in the destination root.</summary>
    public bool KeepsContainers { get; }

    public bool FollowsSymlinks { get; }

    /// <summary>The source path of an entry, for messages and results.</summary>
    public string SourcePathOf(int index) => index == 0 ? RootPath : Entries[index].Name.In(SourcePathOf(Entries[index].Parent));

    /// <summary>Where an entry goes, below <paramref name="destinationRoot"/>.</summary>
    public string DestinationPathOf(int index, string destinationRoot)
    {
        if (index == 0)
        {
            return destinationRoot;
        }

        var entry = Entries[index];
        return entry.Name.In(KeepsContainers ? DestinationPathOf(entry.Parent, destinationRoot) : destinationRoot);
    }

    public void Dispose() => Root.Dispose();
}
