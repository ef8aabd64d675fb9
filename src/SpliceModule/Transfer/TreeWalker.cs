using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Enumeration;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>What to take from a tree, as Copy-Item takes it: directories always (they give the
/// structure), other items only when <see cref="IncludeLeaf"/> accepts their name.</summary>
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
}

/// <summary>
/// Lists a directory tree with one lstat per item and no provider calls, so that walking 5,000
/// files costs milliseconds. The walk happens before the copy starts: progress knows the totals,
/// and a destination inside the source cannot feed the walk.
/// </summary>
internal static class TreeWalker
{
    private static readonly EnumerationOptions AllNames = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Walks the directory <paramref name="root"/>; a symbolic link named as the root is followed.</summary>
    public static TreePlan Walk(string root, TreeWalkOptions options)
    {
        var rootStatus = Sys.Stat(root);
        var plan = new TreePlan { KeepsContainers = options.KeepContainers };
        plan.Entries.Add(new TreeEntry(root, string.Empty, rootStatus, -1));
        if (options.Recurse)
        {
            var ancestors = new HashSet<(ulong, ulong)> { (rootStatus.Device, rootStatus.Inode) };
            WalkDirectory(plan, 0, options, ancestors);
        }

        return plan;
    }

    private static void WalkDirectory(TreePlan plan, int directoryIndex, TreeWalkOptions options, HashSet<(ulong, ulong)> ancestors)
    {
        var directory = plan.Entries[directoryIndex];
        List<string> names;
        try
        {
            names = new List<string>(new FileSystemEnumerable<string>(directory.SourcePath, (ref FileSystemEntry e) => e.FileName.ToString(), AllNames));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            plan.Entries[directoryIndex] = directory with { Problem = e };
            return;
        }

        names.Sort(StringComparer.Ordinal);
        foreach (string name in names)
        {
            string path = directory.SourcePath + "/" + name;
            string relative = options.KeepContainers && directory.DestinationRelative.Length > 0
                ? directory.DestinationRelative + "/" + name
                : name;
            FileStatus status;
            try
            {
                status = Sys.Stat(path, followSymlinks: false);
                if (options.FollowSymlinks && status.Kind == FileKind.SymbolicLink)
                {
                    // A dangling link stays a link: there is nothing else to copy.
                    status = Sys.TryStat(path) ?? status;
                }
            }
            catch (SpliceException e)
            {
                plan.Entries.Add(new TreeEntry(path, relative, default, directoryIndex) { Problem = e });
                continue;
            }

            if (status.Kind != FileKind.Directory)
            {
                if (options.IncludeLeaf is null || options.IncludeLeaf(name))
                {
                    plan.Entries.Add(new TreeEntry(path, relative, status, directoryIndex));
                    plan.FileCount++;
                    plan.TotalBytes += status.Kind == FileKind.File ? status.Size : 0;
                }

                continue;
            }

            var identity = (status.Device, status.Inode);
            if (!ancestors.Add(identity))
            {
                plan.Entries.Add(new TreeEntry(path, relative, status, directoryIndex)
                {
                    Problem = new CopyRefusedException(CopyRefusal.SymlinkLoop, $"'{path}' leads back to a directory that is already being copied (a symbolic link loop); it was skipped."),
                });
                continue;
            }

            plan.Entries.Add(new TreeEntry(path, relative, status, directoryIndex));
            WalkDirectory(plan, plan.Entries.Count - 1, options, ancestors);
            ancestors.Remove(identity);
        }
    }
}
