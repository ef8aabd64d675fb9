using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
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

    /// <summary>Directories listed at once (from -ThrottleLimit): each subdirectory is listed
    /// through its own descriptor, and the plan comes out the same as from one thread.</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>Ctrl+C: a walk of a huge tree (or of links that multiply it) stops at once.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>-Update, -NoClobber, -Mirror into an existing destination: leaves already there
    /// and unchanged are counted instead of planned.</summary>
    public UnchangedInWalk? Unchanged { get; init; }
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
        // More listing threads than processors only take turns on the same cores.
        options = options with { Parallelism = Math.Min(options.Parallelism, Sys.AllowedProcessors()) };
        var rootDirectory = DirectoryHandle.Open(root);
        var plan = new TreePlan(root, rootDirectory, options.KeepContainers, options.FollowSymlinks);
        try
        {
            string rootName = System.IO.Path.GetFileName(root.TrimEnd('/'));
            var rootEntry = new TreeEntry(EntryName.From(rootName.Length == 0 ? "/" : rootName), -1, rootDirectory.Status);
            plan.Entries.Add(rootEntry);
            if (options.Recurse)
            {
                var listing = ListDirectory(rootEntry, rootDirectory, options, new Ancestor(rootDirectory.Status, null), options.Unchanged?.Root);
                Place(plan, 0, listing);
            }

            return plan;
        }
        catch
        {
            plan.Dispose();
            throw;
        }
    }

    /// <summary>What one directory holds, and below it what each of its subdirectories holds: made
    /// by any thread, placed into the plan by one.</summary>
    private sealed class Listing
    {
        public readonly List<TreeEntry> Children = new();
        public Listing?[] Below = Array.Empty<Listing?>();
        public int FileCount;
        public long TotalBytes;
        public int UntouchedCount;
        public long UntouchedBytes;

        /// <summary>-Mirror: names of the leaves left out as unchanged, in order.</summary>
        public List<EntryName>? LeftOut;
    }

    /// <summary>The directories from the root down to one being listed (symlink loops are refused by identity).</summary>
    private sealed record Ancestor(FileStatus Status, Ancestor? Parent)
    {
        public bool Includes(in FileStatus status)
        {
            for (var at = this; at is not null; at = at.Parent)
            {
                if (at.Status.IsSameFile(status))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Lists a directory (null when it cannot be read: the problem is on its entry), then its
    /// subdirectories, several at once with <see cref="TreeWalkOptions.Parallelism"/> above 1 (each
    /// through its own descriptor, opened relative to this one).</summary>
    /// <param name="destination">The destination's counterpart of <paramref name="directory"/>, when
    /// <see cref="TreeWalkOptions.Unchanged"/> is set and it exists.</param>
    private static Listing? ListDirectory(TreeEntry entry, DirectoryHandle directory, TreeWalkOptions options, Ancestor ancestors, DirectoryHandle? destination)
    {
        List<(EntryName Name, byte Type)> names;
        try
        {
            names = Sys.ReadDirectory(directory.Handle, directory.Path);
        }
        catch (SpliceException e)
        {
            entry.Problem = e;
            return null;
        }

        names.Sort(static (a, b) => a.Name.Bytes.SequenceCompareTo(b.Name.Bytes));
        var listing = StatNames(names, directory, options, destination);

        var subdirectories = new List<int>();
        for (int child = 0; child < listing.Children.Count; child++)
        {
            if (listing.Children[child] is { IsDirectory: true, Problem: null })
            {
                subdirectories.Add(child);
            }
        }

        listing.Below = new Listing?[listing.Children.Count];
        if (options.Parallelism > 1 && subdirectories.Count > 1)
        {
            RunAll(subdirectories, options, child => listing.Below[child] = ListSubdirectory(listing.Children[child], directory, options, ancestors, destination));
        }
        else
        {
            foreach (int child in subdirectories)
            {
                listing.Below[child] = ListSubdirectory(listing.Children[child], directory, options, ancestors, destination);
            }
        }

        return listing;
    }

    /// <summary>Names of one directory looked at in pieces of this many, several pieces at once:
    /// one huge directory (a flat tree, man1) is not left to one thread while the others wait.</summary>
    private const int StatPiece = 1024;

    /// <summary>Looks at every name of one directory (statx, the filters, the unchanged check), in
    /// pieces on up to <see cref="TreeWalkOptions.Parallelism"/> threads for a large one; the
    /// pieces are joined in the names' order, so the plan is the same as from one thread.</summary>
    private static Listing StatNames(List<(EntryName Name, byte Type)> names, DirectoryHandle directory, TreeWalkOptions options, DirectoryHandle? destination)
    {
        if (options.Parallelism < 2 || names.Count < 2 * StatPiece)
        {
            var whole = new Listing();
            LookAt(names, 0, names.Count, whole, directory, options, destination);
            return whole;
        }

        var pieces = new Listing[(names.Count + StatPiece - 1) / StatPiece];
        var indexes = new List<int>(pieces.Length);
        for (int piece = 0; piece < pieces.Length; piece++)
        {
            indexes.Add(piece);
        }

        RunAll(indexes, options, piece =>
        {
            var part = new Listing();
            LookAt(names, piece * StatPiece, Math.Min(names.Count, (piece + 1) * StatPiece), part, directory, options, destination);
            pieces[piece] = part;
        });

        var listing = new Listing();
        foreach (var part in pieces)
        {
            listing.Children.AddRange(part.Children);
            listing.FileCount += part.FileCount;
            listing.TotalBytes += part.TotalBytes;
            listing.UntouchedCount += part.UntouchedCount;
            listing.UntouchedBytes += part.UntouchedBytes;
            if (part.LeftOut is not null)
            {
                (listing.LeftOut ??= new()).AddRange(part.LeftOut);
            }
        }

        return listing;
    }

    /// <summary>Names [<paramref name="from"/>, <paramref name="to"/>) of one directory, into <paramref name="listing"/>.</summary>
    private static void LookAt(List<(EntryName Name, byte Type)> names, int from, int to, Listing listing, DirectoryHandle directory, TreeWalkOptions options, DirectoryHandle? destination)
    {
        for (int at = from; at < to; at++)
        {
            var name = names[at].Name;
            options.Cancellation.ThrowIfCancellationRequested();
            FileStatus status;
            try
            {
                if (Sys.TryStatIn(directory.Handle, directory.Path, name, followSymlinks: false) is not { } seen)
                {
                    continue; // removed since the listing
                }

                status = seen;
                if (options.FollowSymlinks && status.Kind == FileKind.SymbolicLink)
                {
                    // A dangling link stays a link: there is nothing else to copy.
                    status = Sys.TryStatIn(directory.Handle, directory.Path, name, followSymlinks: true) ?? status;
                }
            }
            catch (SpliceException e)
            {
                listing.Children.Add(new TreeEntry(name, -1, default) { Problem = e });
                continue;
            }

            if (status.Kind != FileKind.Directory)
            {
                if (options.IncludeLeaf is null || options.IncludeLeaf(name.ToString()))
                {
                    listing.FileCount++;
                    listing.TotalBytes += status.Kind == FileKind.File ? status.Size : 0;
                    if (destination is not null && options.Unchanged!.LeavesOut(destination, name, status))
                    {
                        listing.UntouchedCount++;
                        listing.UntouchedBytes += status.Kind == FileKind.File ? status.Size : 0;
                        if (options.Unchanged.KeepsNames)
                        {
                            (listing.LeftOut ??= new()).Add(name);
                        }

                        continue;
                    }

                    listing.Children.Add(new TreeEntry(name, -1, status));
                }

                continue;
            }

            if (options.IncludeDirectory is null || options.IncludeDirectory(name.ToString()))
            {
                listing.Children.Add(new TreeEntry(name, -1, status));
            }
        }
    }

    private static Listing? ListSubdirectory(TreeEntry sub, DirectoryHandle directory, TreeWalkOptions options, Ancestor ancestors, DirectoryHandle? destination)
    {
        if (ancestors.Includes(sub.Status))
        {
            sub.Problem = new SpliceRefusedException(Refusal.SymlinkLoop, $"'{directory.PathOf(sub.Name)}' leads back to a directory that is already being copied (a symbolic link loop); it was skipped.");
            return null;
        }

        string path = directory.PathOf(sub.Name);
        if (DirectoryHandle.BeyondPathMax(path) is { } tooDeep)
        {
            sub.Problem = tooDeep;
            return null;
        }

        try
        {
            using var opened = directory.OpenChild(sub.Name, options.FollowSymlinks, sub.Status, path);
            using var counterpart = UnchangedInWalk.OpenChild(destination, sub.Name);
            return ListDirectory(sub, opened, options, new Ancestor(sub.Status, ancestors), counterpart);
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            sub.Problem = e;
            return null;
        }
    }

    /// <summary>Runs the body for each item on up to <see cref="TreeWalkOptions.Parallelism"/> threads;
    /// the first failure (Ctrl+C included) is rethrown as itself.</summary>
    private static void RunAll(List<int> items, TreeWalkOptions options, Action<int> body)
    {
        try
        {
            Parallel.ForEach(items, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = options.Cancellation }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    /// <summary>Puts a listing into the plan in the walk's order: a directory's children together,
    /// then, depth first, what each subdirectory holds.</summary>
    private static void Place(TreePlan plan, int index, Listing? listing)
    {
        if (listing is null)
        {
            return;
        }

        var entry = plan.Entries[index];
        entry.FirstChild = plan.Entries.Count;
        foreach (var child in listing.Children)
        {
            child.Parent = index;
            plan.Entries.Add(child);
        }

        entry.ChildCount = listing.Children.Count;
        entry.LeftOut = listing.LeftOut?.ToArray();
        plan.FileCount += listing.FileCount;
        plan.TotalBytes += listing.TotalBytes;
        plan.UntouchedCount += listing.UntouchedCount;
        plan.UntouchedBytes += listing.UntouchedBytes;
        for (int child = 0; child < listing.Children.Count; child++)
        {
            Place(plan, entry.FirstChild + child, listing.Below[child]);
        }
    }
}
