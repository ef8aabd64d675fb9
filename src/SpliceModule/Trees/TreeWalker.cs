using System;
using System.Collections.Generic;
using System.Threading;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>What to take from a tree, as Copy-Item takes it: directories unless
/// <see cref="IncludeDirectory"/> refuses their name, other items only when
/// <see cref="IncludeLeaf"/> accepts their name.</summary>
internal sealed record TreeWalkOptions
{
    public bool Recurse { get; init; }

    /// <summary>Follow every symbolic link met inside the tree (cp -L), with loop detection;
    /// otherwise links are copied as links (cp -R).</summary>
    public bool FollowSymlinks { get; init; }

    /// <summary>False puts every item directly under the destination (Copy-Item -Container:$false).</summary>
    public bool KeepContainers { get; init; } = true;

    /// <summary>Decides by name whether a file, link or special file is copied (-Filter, -Exclude).</summary>
    public Func<string, bool>? IncludeLeaf { get; init; }

    /// <summary>Decides by name whether a directory inside the tree is taken, with all it holds (-Exclude).</summary>
    public Func<string, bool>? IncludeDirectory { get; init; }

    /// <summary>Ctrl+C: a walk of a huge tree (or of links that multiply it) stops at once.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>
/// Lists a directory tree through held directory descriptors: getdents64 for the names (as bytes,
/// so names that are not UTF-8 survive) and one statx per name relative to its directory, each
/// directory opened relative to its parent with O_NOFOLLOW unless links are followed. A
/// directory's children are listed together, so the plan gives each directory a contiguous range.
/// </summary>
internal static class TreeWalker
{
    /// <summary>Walks the directory <paramref name="root"/>; a symbolic link named as the root is followed.</summary>
    public static TreePlan Walk(string root, TreeWalkOptions options)
    {
        var rootDirectory = DirectoryHandle.Open(root);
        var plan = new TreePlan(root, rootDirectory, options.KeepContainers, options.FollowSymlinks);
        try
        {
            string rootName = System.IO.Path.GetFileName(root.TrimEnd('/'));
            plan.Entries.Add(new TreeEntry(EntryName.From(rootName.Length == 0 ? "/" : rootName), -1, rootDirectory.Status));
            if (options.Recurse)
            {
                var ancestors = new HashSet<(ulong, ulong)> { (rootDirectory.Status.Device, rootDirectory.Status.Inode) };
                WalkDirectory(plan, 0, rootDirectory, options, ancestors);
            }

            return plan;
        }
        catch
        {
            plan.Dispose();
            throw;
        }
    }

    private static void WalkDirectory(TreePlan plan, int directoryIndex, DirectoryHandle directory, TreeWalkOptions options, HashSet<(ulong, ulong)> ancestors)
    {
        var entry = plan.Entries[directoryIndex];
        List<(EntryName Name, byte Type)> names;
        try
        {
            names = Sys.ReadDirectory(directory.Handle, directory.Path);
        }
        catch (SpliceException e)
        {
            entry.Problem = e;
            return;
        }

        names.Sort(static (a, b) => a.Name.Bytes.SequenceCompareTo(b.Name.Bytes));
        entry.FirstChild = plan.Entries.Count;
        foreach (var (name, _) in names)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            FileStatus status;
            try
            {
                if (Sys.TryStatAt(directory.Handle, name, followSymlinks: false, directory.PathOf(name)) is not { } seen)
                {
                    continue; // removed since the listing
                }

                status = seen;
                if (options.FollowSymlinks && status.Kind == FileKind.SymbolicLink)
                {
                    // A dangling link stays a link: there is nothing else to copy.
                    status = Sys.TryStatAt(directory.Handle, name, followSymlinks: true, directory.PathOf(name)) ?? status;
                }
            }
            catch (SpliceException e)
            {
                plan.Entries.Add(new TreeEntry(name, directoryIndex, default) { Problem = e });
                continue;
            }

            if (status.Kind != FileKind.Directory)
            {
                if (options.IncludeLeaf is null || options.IncludeLeaf(name.ToString()))
                {
                    plan.Entries.Add(new TreeEntry(name, directoryIndex, status));
                    plan.FileCount++;
                    plan.TotalBytes += status.Kind == FileKind.File ? status.Size : 0;
                }

                continue;
            }

            if (options.IncludeDirectory is null || options.IncludeDirectory(name.ToString()))
            {
                plan.Entries.Add(new TreeEntry(name, directoryIndex, status));
            }
        }

        entry.ChildCount = plan.Entries.Count - entry.FirstChild;
        for (int child = entry.FirstChild; child < entry.FirstChild + entry.ChildCount; child++)
        {
            var sub = plan.Entries[child];
            if (!sub.IsDirectory || sub.Problem is not null)
            {
                continue;
            }

            var identity = (sub.Status.Device, sub.Status.Inode);
            if (!ancestors.Add(identity))
            {
                sub.Problem = new SpliceRefusedException(Refusal.SymlinkLoop, $"'{directory.PathOf(sub.Name)}' leads back to a directory that is already being copied (a symbolic link loop); it was skipped.");
                continue;
            }

            try
            {
                using var opened = directory.OpenChild(sub.Name, options.FollowSymlinks, sub.Status);
                WalkDirectory(plan, child, opened, options, ancestors);
            }
            catch (Exception e) when (ItemFailure.IsExpected(e))
            {
                sub.Problem = e;
            }
            finally
            {
                ancestors.Remove(identity);
            }
        }
    }
}
