using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace SpliceModule.Transfer;

/// <summary>
/// Copies a tree with the platform's own file APIs, where the Linux calls do not exist (Windows,
/// macOS) or are switched off (SPLICEMODULE_DISABLE_KERNEL=1): the same items in the same order
/// as <see cref="TreeCopier"/>, the same refusals and error ids, files by
/// <see cref="CopyMethod.PlatformCopy"/>. It works by path, so it cannot give the guarantees the
/// descriptor-relative Linux copy gives against other users racing it, and .NET cannot tell a FIFO
/// or device from a file, so they are read as files.
/// </summary>
internal sealed class PlatformTreeCopier
{
    private readonly List<Item> _items = new();
    private readonly TreeWalkOptions _walk;

    private PlatformTreeCopier(string root, TreeWalkOptions walk)
    {
        _walk = walk;
        RootPath = Path.GetFullPath(root);
        _items.Add(new Item(RootPath, string.Empty, ItemKind.Directory, -1, null));
        if (walk.Recurse)
        {
            WalkDirectory(0, new HashSet<string>(PathComparer) { FinalPath(new DirectoryInfo(RootPath)) });
        }
    }

    public string RootPath { get; }

    public int FileCount => _items.Count(i => i.Kind != ItemKind.Directory);

    public long TotalBytes => _items.Where(i => i.Kind == ItemKind.File).Sum(i => i.Size);

    private static StringComparer PathComparer => OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

    public static PlatformTreeCopier Walk(string root, TreeWalkOptions walk) => new(root, walk);

    public void Copy(string destinationRoot, FileCopyRequest options, ITreeCopyObserver observer)
    {
        string destination = Path.GetFullPath(destinationRoot);
        string source = FinalPath(new DirectoryInfo(RootPath));
        string reached = FinalPath(new DirectoryInfo(destination));
        if (reached.Equals(source, PathComparison) || reached.StartsWith(source.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, PathComparison))
        {
            throw SpliceRefusedException.SelfCopy(Refusal.DestinationInsideSource, $"Cannot copy directory '{RootPath}' into itself ('{destinationRoot}').", destinationRoot);
        }

        var failed = new bool[_items.Count];
        var made = new List<int>();
        long bytes = 0;
        int done = 0;
        try
        {
            for (int i = 0; i < _items.Count; i++)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                var item = _items[i];
                string target = item.Relative.Length == 0 ? destination : Path.Combine(destination, item.Relative);
                if (item.Parent >= 0 && failed[item.Parent])
                {
                    failed[i] = true;
                    continue;
                }

                try
                {
                    FileCopyResult? result = item.Kind switch
                    {
                        _ when item.Problem is not null => throw item.Problem,
                        ItemKind.Directory => MakeDirectory(item, target, made, i),
                        ItemKind.File => FileCopier.Copy(options.For(item.Source, target, CopyMethod.Auto, null)),
                        _ => CopyLink(item, target),
                    };
                    observer.ItemCopied(item.Source, target, result, default);
                    if (item.Kind != ItemKind.Directory)
                    {
                        bytes += result?.Bytes ?? 0;
                        observer.Progress(bytes, ++done, item.Source);
                    }
                }
                catch (Exception e) when (ItemFailure.IsExpected(e))
                {
                    failed[i] = true;
                    observer.ItemFailed(item.Source, target, e);
                    done += item.Kind == ItemKind.Directory ? 0 : 1;
                }
            }
        }
        finally
        {
            // Modes and times once the contents are in (deepest first), also when the copy stops early.
            for (int m = made.Count - 1; m >= 0; m--)
            {
                var item = _items[made[m]];
                ApplyDirectoryMetadata(item.Source, item.Relative.Length == 0 ? destination : Path.Combine(destination, item.Relative), options.Preserve);
            }
        }
    }

    private static StringComparison PathComparison => OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    private void WalkDirectory(int index, HashSet<string> ancestors)
    {
        var directory = new DirectoryInfo(_items[index].Source);
        FileSystemInfo[] children;
        try
        {
            children = directory.GetFileSystemInfos();
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            _items[index] = _items[index] with { Problem = e };
            return;
        }

        Array.Sort(children, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var directories = new List<(int Index, string Final)>();
        foreach (var child in children)
        {
            _walk.Cancellation.ThrowIfCancellationRequested();
            string relative = _walk.KeepContainers && _items[index].Relative.Length > 0 ? Path.Combine(_items[index].Relative, child.Name) : child.Name;
            var followed = child.LinkTarget is not null && _walk.FollowSymlinks ? child.ResolveLinkTarget(returnFinalTarget: true) : null;
            var seen = followed is { Exists: true } ? followed : child;
            var kind = KindOf(seen);
            if (kind != ItemKind.Directory)
            {
                if (_walk.IncludeLeaf is null || _walk.IncludeLeaf(child.Name))
                {
                    _items.Add(new Item(child.FullName, relative, kind, index, null) { Size = seen is FileInfo file && kind == ItemKind.File ? file.Length : 0 });
                }

                continue;
            }

            string final = FinalPath(seen);
            Exception? loop = ancestors.Contains(final)
                ? new SpliceRefusedException(Refusal.SymlinkLoop, $"'{child.FullName}' leads back to a directory that is already being copied (a symbolic link loop); it was skipped.")
                : null;
            _items.Add(new Item(child.FullName, relative, ItemKind.Directory, index, loop));
            if (loop is null)
            {
                directories.Add((_items.Count - 1, final));
            }
        }

        foreach (var (child, final) in directories)
        {
            ancestors.Add(final);
            WalkDirectory(child, ancestors);
            ancestors.Remove(final);
        }
    }

    /// <summary>.NET shows no file type beyond link, directory and file, so a FIFO here looks like a
    /// file (as for the platform's single-file copy).</summary>
    private static ItemKind KindOf(FileSystemInfo info) => info switch
    {
        _ when info.LinkTarget is not null => ItemKind.Link,
        DirectoryInfo => ItemKind.Directory,
        _ => ItemKind.File,
    };

    private static FileCopyResult? MakeDirectory(Item item, string target, List<int> made, int index)
    {
        var existing = new DirectoryInfo(target);
        if (existing.LinkTarget is not null)
        {
            throw new SpliceRefusedException(Refusal.DestinationIsSymlink, $"Cannot copy directory '{item.Source}' to '{target}': a symbolic link stands there, and nothing is written through one.");
        }

        if (File.Exists(target))
        {
            throw new SpliceRefusedException(Refusal.DirectoryOntoFile, $"Cannot copy directory '{item.Source}' onto the existing file '{target}'.");
        }

        if (!existing.Exists)
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(target);
            }
            else
            {
                Directory.CreateDirectory(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        made.Add(index);
        return null;
    }

    private static FileCopyResult? CopyLink(Item item, string target)
    {
        string linkTarget = new FileInfo(item.Source).LinkTarget ?? throw new IOException($"'{item.Source}' is no longer a symbolic link.");
        if (Directory.Exists(target) && new DirectoryInfo(target).LinkTarget is null)
        {
            throw new SpliceRefusedException(Refusal.DestinationIsDirectory, $"Cannot overwrite directory '{target}' with the link '{item.Source}'.");
        }

        if (new FileInfo(target) is { } old && (old.Exists || old.LinkTarget is not null))
        {
            old.Delete();
        }

        File.CreateSymbolicLink(target, linkTarget);
        return null;
    }

    private static void ApplyDirectoryMetadata(string source, string target, CopyPreserve preserve)
    {
        try
        {
            var from = new DirectoryInfo(source);
            if ((preserve & CopyPreserve.Mode) != 0 && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, from.UnixFileMode & ~(UnixFileMode.SetUser | UnixFileMode.SetGroup));
            }
            else if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, from.UnixFileMode & (UnixFileMode)0b111_101_101);
            }

            if ((preserve & CopyPreserve.Timestamps) != 0)
            {
                Directory.SetLastWriteTimeUtc(target, from.LastWriteTimeUtc);
                Directory.SetLastAccessTimeUtc(target, from.LastAccessTimeUtc);
            }
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            // The items were reported; a directory whose mode or time cannot be set keeps what it has.
        }
    }

    /// <summary>Where a path ends up after every symbolic link on the way (for loops and self-copies).</summary>
    private static string FinalPath(FileSystemInfo info)
    {
        var parts = new Stack<string>();
        var current = info;
        while (true)
        {
            var resolved = current.LinkTarget is not null ? current.ResolveLinkTarget(returnFinalTarget: true) : null;
            if (resolved is not null)
            {
                current = resolved;
            }

            var parent = Path.GetDirectoryName(current.FullName.TrimEnd(Path.DirectorySeparatorChar));
            if (parent is null)
            {
                parts.Push(current.FullName);
                break;
            }

            parts.Push(Path.GetFileName(current.FullName.TrimEnd(Path.DirectorySeparatorChar)));
            current = new DirectoryInfo(parent);
        }

        return Path.Combine(parts.ToArray());
    }

    private enum ItemKind
    {
        File,
        Directory,
        Link,
    }

    private sealed record Item(string Source, string Relative, ItemKind Kind, int Parent, Exception? Problem)
    {
        public long Size { get; init; }
    }
}
