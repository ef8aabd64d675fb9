using System.Threading;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// The hidden top directory of a new tree (<see cref="DirectoryHandle.MakeHiddenChild"/>) is
/// locked (flock) by its copy until it has its name. A copy killed on the way (kill -9, a power
/// cut) leaves it behind, unlocked; the next copy to the same destination removes it before
/// making its own: only a directory at a name this copy would make, owned by this user, 0700,
/// looked at and opened without following a link, and unlocked by the time it is removed (so a
/// copy to the same name that runs meanwhile keeps its own). Its contents go through the
/// descriptor that was checked and locked, never following a link (<see cref="MirrorPruner.RemoveTree"/>).
/// The candidates come from the listing <see cref="StaleTemporaryFiles"/> makes of the directory once
/// an hour per process (one that anyone may fill with names, as /tmp, is not listed per copy): a
/// hidden top left after that listing is removed by a copy in a later hour or another process.
/// Only where nobody but this user and root can rename: anyone else who can rename in the
/// directory can put any directory of ours there under that name (an earlier finished copy whose
/// source was 0700, another of our directories beside it), which is then ours, 0700 and unlocked.
/// </summary>
internal static class StaleHiddenRoots
{
    /// <summary>Removes what killed copies to <paramref name="name"/> in <paramref name="directory"/>
    /// left; tidying up never fails a copy.</summary>
    public static void Remove(DirectoryHandle directory, EntryName name, CancellationToken cancellation)
    {
        if (OthersCanRenameIn(directory.Status))
        {
            return;
        }

        foreach (var entry in StaleTemporaryFiles.PrivateDirectoriesIn(directory))
        {
            if (!TemporaryFile.IsHiddenNameOf(entry.Bytes, name))
            {
                continue;
            }

            try
            {
                RemoveIfStale(directory, entry, cancellation);
            }
            catch (System.Exception e) when (ItemFailure.IsExpected(e))
            {
                // Left as it is: the new copy takes another hidden name all the same.
            }
        }
    }

    /// <summary>Locks the hidden top just made (null when another process, a copy tidying up,
    /// got it first and may remove it: then the caller makes another).</summary>
    public static DirectoryHandle? Claim(DirectoryHandle directory, EntryName hidden, in FileStatus made)
    {
        var opened = directory.OpenChild(hidden, followSymlink: false, expected: made);
        if (Sys.TryLock(opened.Handle, exclusive: true, opened.Path))
        {
            return opened;
        }

        opened.Dispose();
        return null;
    }

    private static void RemoveIfStale(DirectoryHandle directory, EntryName entry, CancellationToken cancellation)
    {
        string path = directory.PathOf(entry);
        if (Sys.TryStatAt(directory.Handle, entry, followSymlinks: false, path) is not { Kind: FileKind.Directory } status
            || status.Uid != Sys.EffectiveUid || status.Permissions != DirectoryHandle.PrivateMode)
        {
            return;
        }

        using var opened = directory.OpenChild(entry, followSymlink: false, expected: status);
        if (Sys.TryLock(opened.Handle, exclusive: true, path))
        {
            MirrorPruner.RemoveTree(directory, entry, opened, path, cancellation);
        }
    }

    /// <summary>Someone other than this user and root owns the directory (and may chmod it), or
    /// its group or others may write in it without the sticky bit (which lets them move only
    /// their own names).</summary>
    private static bool OthersCanRenameIn(in FileStatus directory) =>
        (directory.Uid != Sys.EffectiveUid && directory.Uid != 0)
        || ((directory.Permissions & Flags.S_IWGRP_S_IWOTH) != 0 && (directory.Permissions & Flags.S_ISVTX) == 0);
}
