using System;
using System.Collections.Generic;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>One item of a directory tree to copy. <see cref="Status"/> is what will be copied:
/// the link itself for a symbolic link, or its target when links are followed.</summary>
internal sealed record TreeEntry(string SourcePath, string DestinationRelative, FileStatus Status, int Parent)
{
    /// <summary>Why this item cannot be copied (a symlink loop, an unreadable directory); reported in order.</summary>
    public Exception? Problem { get; init; }

    public bool IsDirectory => Status.Kind == FileKind.Directory;
}

/// <summary>A tree walked before anything is written: entries in pre-order (a directory before
/// what it holds), with totals for progress.</summary>
internal sealed class TreePlan
{
    public List<TreeEntry> Entries { get; } = new();

    public long TotalBytes { get; set; }

    public int FileCount { get; set; }

    /// <summary>Items keep their directories (-Container), so no two items have the same
    /// destination; without it every file lands in the destination root.</summary>
    public bool KeepsContainers { get; init; } = true;
}
