using System;
using System.Collections.Generic;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// -Preserve Links (cp -a's --preserve=links): files of a tree that are hard links of each other
/// (same device and inode, more than one name in the tree) stay hard links of each other in the
/// copy. The first name met is copied as usual; the copy is then held open (O_PATH, checked to be
/// the file just written) and every other name is linked to it with linkat, relative to the held
/// destination directory, until the group's last name is done. Groups are counted from the walk
/// before the copy starts, so a descriptor is held only while names of its group remain. Each
/// group has its own lock: the per-directory tasks on other workers wait for the first copy of a
/// group rather than copy it twice.
/// </summary>
internal sealed class HardLinkGroups : IDisposable
{
    private readonly Dictionary<(ulong Device, ulong Inode), Group> _groups;

    private HardLinkGroups(Dictionary<(ulong, ulong), Group> groups) => _groups = groups;

    /// <summary>The groups of <paramref name="plan"/>, or null without -Preserve Links or when no two
    /// names of the tree share a file.</summary>
    public static HardLinkGroups? For(TreePlan plan, CopyPreserve preserve)
    {
        if ((preserve & CopyPreserve.Links) == 0)
        {
            return null;
        }

        var groups = new Dictionary<(ulong, ulong), Group>();
        foreach (var (key, names) in SharedFiles(plan))
        {
            groups[key] = new Group { Remaining = names };
        }

        return groups.Count == 0 ? null : new HardLinkGroups(groups);
    }

    /// <summary>The files that more than one name of <paramref name="plan"/> shares, with the number
    /// of those names.</summary>
    internal static Dictionary<(ulong Device, ulong Inode), int> SharedFiles(TreePlan plan)
    {
        var counts = new Dictionary<(ulong, ulong), int>();
        foreach (var entry in plan.Entries)
        {
            if (entry.Problem is null && entry.Status is { Kind: FileKind.File, LinkCount: > 1 } status)
            {
                var key = (status.Device, status.Inode);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }

        foreach (var (key, names) in counts)
        {
            if (names < 2)
            {
                counts.Remove(key);
            }
        }

        return counts;
    }

    /// <summary>Copies a file of a group, or links it to the group's first copy. Null means it was
    /// linked (no bytes moved); otherwise the result of <paramref name="copy"/>.</summary>
    public FileCopyResult? CopyOrLink(in FileStatus source, string sourcePath, DestinationSlot slot, bool force, Func<FileCopyResult> copy)
    {
        if (!_groups.TryGetValue((source.Device, source.Inode), out var group))
        {
            return copy();
        }

        lock (group)
        {
            try
            {
                if (group.First is { } first && TryLink(first, source, sourcePath, slot, force))
                {
                    return null;
                }

                var result = copy();
                if (group.First is null && result.Written is { } written)
                {
                    group.First = OpenWritten(slot, written, out _);
                }

                return result;
            }
            finally
            {
                if (--group.Remaining == 0)
                {
                    group.First?.Dispose();
                    group.First = null;
                }
            }
        }
    }

    public void Dispose()
    {
        foreach (var group in _groups.Values)
        {
            lock (group)
            {
                group.First?.Dispose();
                group.First = null;
            }
        }
    }

    /// <summary>Links the first copy at the slot's name (under a hidden name renamed over whatever
    /// stands there, as a new file would be); false where a link cannot be made (another file system
    /// below the destination, or the first copy removed since), so the name gets a copy of its own.</summary>
    internal static bool TryLink(SafeFileHandle first, in FileStatus source, string sourcePath, DestinationSlot slot, bool force)
    {
        slot.Refuse(source, sourcePath, force);
        var directory = slot.Directory;
        try
        {
            if (slot.Existing is null && Sys.LinkAnonymousFileAt(first, directory.Handle, slot.Name, slot.Path))
            {
                return true;
            }

            EntryName hidden;
            do
            {
                hidden = TemporaryFile.HiddenNameFor(slot.Name);
            }
            while (!Sys.LinkAnonymousFileAt(first, directory.Handle, hidden, slot.Path));

            try
            {
                Sys.RenameAt(directory.Handle, hidden, slot.Name, slot.Path, slot.Path);
            }
            catch
            {
                TemporaryFile.RemoveQuietly(directory, hidden, slot.Path);
                throw;
            }

            return true;
        }
        catch (SpliceException e) when (e.Errno is Errno.EXDEV or Errno.EMLINK or Errno.ENOENT)
        {
            // ENOENT: the first copy was removed (by whoever may write in its directory) since it was held.
            return false;
        }
    }

    /// <summary>The file just copied at the slot's name, held by an O_PATH descriptor, if it is still
    /// the one the copy wrote (<paramref name="written"/>, taken from the descriptor it wrote
    /// through) with one name: a file renamed over it by whoever may write in that directory, or a
    /// hard link to another, is never linked elsewhere. Null otherwise; <paramref name="seen"/> is
    /// what was found there.</summary>
    internal static SafeFileHandle? OpenWritten(DestinationSlot slot, in FileStatus written, out FileStatus seen)
    {
        var open = Sys.OpenAt(slot.Directory.Handle, slot.Name, Flags.O_PATH | Flags.O_NOFOLLOW, 0, slot.Path);
        seen = Sys.Stat(open, slot.Path);
        if (seen is { Kind: FileKind.File, LinkCount: 1 } && seen.IsSameFile(written))
        {
            return open;
        }

        open.Dispose();
        return null;
    }

    private sealed class Group
    {
        public int Remaining;

        public SafeFileHandle? First;
    }
}
