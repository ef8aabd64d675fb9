using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>Hears about a tree copy as it goes; always called on the thread that runs
/// <see cref="TreeCopier.Copy"/>, so a cmdlet may write to the pipeline from here.</summary>
internal interface ITreeCopyObserver
{
    /// <summary>Each item copied must stand at its path when <see cref="ItemCopied"/> tells of it
    /// (-PassThru sends it down the pipeline at once), so a new tree is not made under a hidden name.</summary>
    bool NeedsItemsInPlace { get; }

    /// <summary>An item is in place; <paramref name="file"/> is null for directories, links and nodes.</summary>
    void ItemCopied(string sourcePath, string destinationPath, FileCopyResult? file, MetadataReport metadata);

    /// <summary>A directory, now complete, did not get all of its source's metadata (said at the end, as a directory's metadata comes last).</summary>
    void MetadataNotice(string destinationPath, MetadataReport metadata);

    /// <summary>One item failed; the rest go on (what it held is skipped).</summary>
    void ItemFailed(string sourcePath, string destinationPath, Exception error);

    /// <summary>Every item that ended well, copied or left alone as unchanged (<see cref="FileCopyResult.Unchanged"/>,
    /// for which <see cref="ItemCopied"/> is not called), for the counts of a summary.</summary>
    void Tally(bool isLeaf, FileCopyResult? file);

    /// <summary>Leaves left alone as unchanged that needed nothing at all, in bulk.</summary>
    void Untouched(long items, long bytes);

    /// <summary>-Mirror removed a destination item (<paramref name="items"/> counts it and what it held).</summary>
    void ItemRemoved(string destinationPath, int items);

    /// <summary>Something the user should hear about on the way (a file tried again after a transient error).</summary>
    void Notice(string message);

    /// <summary>Bytes and items done so far over the whole tree, including inside the current files;
    /// <paramref name="currentItem"/> is the file last finished or being copied.</summary>
    void Progress(long bytesDone, int itemsDone, string? currentItem);
}

/// <summary>
/// Copies a walked tree one directory at a time, every step relative to held directory
/// descriptors: a directory's task opens its source (checked to be the one the walk saw) and
/// makes its destination (0700, checked to be ours and empty), queues its subdirectories, copies
/// its files, links and nodes, and when everything below it is done gives it its mode and times
/// (so writing inside does not undo a preserved time, and a read-only directory is read-only only
/// once full). Workers take tasks from one stack, so descriptors stay open only along the
/// directories being worked on. On every way out (error, -ErrorAction Stop, Ctrl+C) each
/// directory begun gets its mode, never wider than its source's.
/// </summary>
internal static class TreeCopier
{
    /// <param name="mirror">-Mirror: what the source does not have is removed from the destination.</param>
    public static void Copy(TreePlan plan, string destinationRoot, FileCopyRequest options, int throttleLimit, ITreeCopyObserver observer, MirrorOptions? mirror = null)
    {
        using var root = DestinationSlot.Resolve(destinationRoot);
        RefuseDestinationInsideSource(plan, root);
        new TreeRun(plan, root, destinationRoot, options, throttleLimit, observer, mirror).Run();
    }

    /// <summary>Refuses to copy a directory into itself or below itself: checked by inode on the
    /// destination and each of its ancestors, walked up through '..' from the held directory, so
    /// symbolic links (l -> a/sub) and bind mounts cannot hide it.</summary>
    private static void RefuseDestinationInsideSource(TreePlan plan, DestinationSlot root)
    {
        var source = plan.Root.Status;
        if (Sys.TryStatAt(root.Directory.Handle, root.Name, followSymlinks: true, root.Path) is { } existing && existing.IsSameFile(source))
        {
            throw Inside(plan, root.Path);
        }

        DirectoryHandle? current = null;
        try
        {
            var status = root.Directory.Status;
            while (!status.IsSameFile(source))
            {
                var parent = (current ?? root.Directory).OpenParent();
                current?.Dispose();
                current = parent;
                if (parent.Status.IsSameFile(status))
                {
                    return; // '/' is its own parent
                }

                status = parent.Status;
            }

            throw Inside(plan, root.Path);
        }
        finally
        {
            current?.Dispose();
        }
    }

    private static SpliceRefusedException Inside(TreePlan plan, string destination) =>
        SpliceRefusedException.SelfCopy(Refusal.DestinationInsideSource, $"Cannot copy directory '{plan.RootPath}' into itself ('{destination}').", destination);
}
