using System;
using System.Threading;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>What -Mirror needs to know besides the tree: which names of the destination it must
/// leave alone, and whether to ask before each removal.</summary>
internal sealed record MirrorOptions
{
    /// <summary>A name of the destination that the copy does not take part in (-Exclude, -Filter),
    /// left as it is, as rsync --delete leaves excluded names; the flag says it is a directory.</summary>
    public Func<string, bool, bool> IsLeftAlone { get; init; } = static (_, _) => false;

    /// <summary>Asked before each removal (ShouldProcess); null removes without asking. When set,
    /// the copy runs on the caller's thread only, where the question can be asked.</summary>
    public Func<string, bool, bool>? MayRemove { get; init; }
}

/// <summary>
/// -Mirror: removes from a destination directory what its source does not have (and what stands
/// where the source has an item of another kind: a file where a directory goes, a directory where
/// a file goes). Everything goes through held directory descriptors: names are removed with
/// unlinkat relative to the directory they are in, and a directory is emptied depth first through
/// its own descriptor, opened O_NOFOLLOW|O_DIRECTORY, before it is removed. A symbolic link is
/// removed as a link, whatever it points to, and a directory swapped for a link while it is being
/// removed is removed as that link: nothing outside the destination is ever reached.
/// </summary>
internal sealed class MirrorPruner
{
    private readonly MirrorOptions _options;
    private readonly Action<TreeOutcome> _report;

    public MirrorPruner(MirrorOptions options, Action<TreeOutcome> report)
    {
        _options = options;
        _report = report;
    }

    public bool AsksFirst => _options.MayRemove is not null;

    /// <summary>Removes what the destination of the plan's directory <paramref name="index"/> holds
    /// and its source does not.</summary>
    public void Prune(TreePlan plan, int index, DirectoryHandle destination, CancellationToken cancellation)
    {
        var entry = plan.Entries[index];
        System.Collections.Generic.List<(EntryName Name, byte Type)> names;
        try
        {
            names = Sys.ReadDirectory(destination.Handle, destination.Path);
            names.Sort(static (a, b) => a.Name.Bytes.SequenceCompareTo(b.Name.Bytes)); // removals said and asked in order
        }
        catch (SpliceException e)
        {
            _report(new TreeOutcome(destination.Path, destination.Path, null, default, e, false) { Removed = 0 });
            return;
        }

        foreach (var (name, type) in names)
        {
            cancellation.ThrowIfCancellationRequested();
            bool isDirectory = type == Flags.DT_DIR || (type == 0 && IsDirectory(destination, name));
            int child = Find(plan, entry, name);
            bool stays = child >= 0
                ? plan.Entries[child].Problem is not null || plan.Entries[child].IsDirectory == isDirectory
                : WasLeftOut(entry, name) || _options.IsLeftAlone(name.ToString(), isDirectory);
            if (!stays)
            {
                Remove(destination, name, isDirectory, cancellation);
            }
        }
    }

    /// <summary>-WhatIf: asks about every removal that a -Mirror copy into <paramref name="destinationRoot"/>
    /// would make (the question answers no), walking the destination's existing directories only.</summary>
    public void Preview(TreePlan plan, string destinationRoot, CancellationToken cancellation)
    {
        DirectoryHandle root;
        try
        {
            root = DirectoryHandle.Open(destinationRoot);
        }
        catch (SpliceException)
        {
            return; // nothing there yet: nothing to remove
        }

        using (root)
        {
            PreviewDirectory(plan, 0, root, cancellation);
        }
    }

    private void PreviewDirectory(TreePlan plan, int index, DirectoryHandle destination, CancellationToken cancellation)
    {
        Prune(plan, index, destination, cancellation);
        var entry = plan.Entries[index];
        for (int child = entry.FirstChild; child < entry.FirstChild + entry.ChildCount; child++)
        {
            if (plan.Entries[child] is not { IsDirectory: true, Problem: null } sub)
            {
                continue;
            }

            try
            {
                using var below = destination.OpenChild(sub.Name, followSymlink: false);
                PreviewDirectory(plan, child, below, cancellation);
            }
            catch (SpliceException)
            {
                // Not there (it will be made), or not a directory (its removal was asked about).
            }
        }
    }

    private static bool IsDirectory(DirectoryHandle directory, EntryName name)
    {
        try
        {
            return Sys.TryStatAt(directory.Handle, name, followSymlinks: false, directory.PathOf(name))?.Kind == FileKind.Directory;
        }
        catch (SpliceException)
        {
            return false; // removed as a name; a directory there refuses that and is emptied instead
        }
    }

    /// <summary>A leaf the walk found unchanged and left out of the plan: the source has it.</summary>
    private static bool WasLeftOut(TreeEntry entry, EntryName name) =>
        entry.LeftOut is { } leftOut && Array.BinarySearch(leftOut, name, NameOrder.Instance) >= 0;

    private sealed class NameOrder : System.Collections.Generic.IComparer<EntryName>
    {
        public static readonly NameOrder Instance = new();

        public int Compare(EntryName x, EntryName y) => x.Bytes.SequenceCompareTo(y.Bytes);
    }

    /// <summary>The child of <paramref name="entry"/> with this name (children are sorted by bytes, as the walk sorted them), or -1.</summary>
    private static int Find(TreePlan plan, TreeEntry entry, EntryName name)
    {
        int low = entry.FirstChild, high = entry.FirstChild + entry.ChildCount - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            int order = plan.Entries[middle].Name.Bytes.SequenceCompareTo(name.Bytes);
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }

    private void Remove(DirectoryHandle directory, EntryName name, bool isDirectory, CancellationToken cancellation)
    {
        string path = directory.PathOf(name);
        if (_options.MayRemove is { } ask && !ask(path, isDirectory))
        {
            return;
        }

        try
        {
            int removed = isDirectory ? RemoveTree(directory, name, path, cancellation) : RemoveName(directory, name, path, cancellation);
            _report(new TreeOutcome(path, path, null, default, null, false) { Removed = removed });
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            _report(new TreeOutcome(path, path, null, default, e, false) { Removed = 0 });
        }
    }

    /// <summary>A name that was not a directory when listed; one that became a directory meanwhile is emptied and removed as one.</summary>
    private static int RemoveName(DirectoryHandle directory, EntryName name, string path, CancellationToken cancellation)
    {
        try
        {
            Sys.UnlinkAt(directory.Handle, name, isDirectory: false, path);
            return 1;
        }
        catch (SpliceException e) when (e.Errno is Errno.EISDIR or Errno.EPERM)
        {
            return RemoveTree(directory, name, path, cancellation);
        }
    }

    /// <summary>Empties a directory through its own descriptor, deepest first, then removes it. A
    /// link (or file) found at the name instead, now or when it is removed, is removed as itself.</summary>
    internal static int RemoveTree(DirectoryHandle directory, EntryName name, string path, CancellationToken cancellation)
    {
        // A directory at PATH_MAX is where any user can nest one tens of thousands deep: entering it
        // would hold a descriptor and a stack frame per level, until the stack overflows (which no
        // catch survives). It is an ENAMETOOLONG error for the directory removed, as cp -a, rsync
        // and the walk of a source stop there too.
        if (DirectoryHandle.BeyondPathMax(path) is { } tooDeep)
        {
            throw tooDeep;
        }

        DirectoryHandle opened;
        try
        {
            opened = directory.OpenChild(name, followSymlink: false);
        }
        catch (SpliceException e) when (e.Errno is Errno.ELOOP or Errno.ENOTDIR)
        {
            Sys.UnlinkAt(directory.Handle, name, isDirectory: false, path);
            return 1;
        }

        using (opened)
        {
            return RemoveTree(directory, name, opened, path, cancellation);
        }
    }

    /// <summary>Empties <paramref name="opened"/>, the directory at <paramref name="name"/> that the
    /// caller opened (and checked), through that descriptor, then removes the name: what was checked
    /// is what is emptied, whatever is renamed to the name meanwhile.</summary>
    internal static int RemoveTree(DirectoryHandle directory, EntryName name, DirectoryHandle opened, string path, CancellationToken cancellation)
    {
        int removed = 0;
        foreach (var (inner, type) in Sys.ReadDirectory(opened.Handle, opened.Path))
        {
            cancellation.ThrowIfCancellationRequested();
            string innerPath = opened.PathOf(inner);
            removed += type == Flags.DT_DIR ? RemoveTree(opened, inner, innerPath, cancellation) : RemoveName(opened, inner, innerPath, cancellation);
        }

        try
        {
            Sys.UnlinkAt(directory.Handle, name, isDirectory: true, path);
        }
        catch (SpliceException e) when (e.Errno == Errno.ENOTDIR)
        {
            Sys.UnlinkAt(directory.Handle, name, isDirectory: false, path);
        }

        return removed + 1;
    }
}
