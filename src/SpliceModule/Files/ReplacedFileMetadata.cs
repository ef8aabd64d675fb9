using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// What a file that replaces an existing one keeps of it, as cp keeps it by writing in place: the
/// old file's owner and group, its mode and access ACL (system.posix_acl_access), and its
/// security.* attributes (an SELinux label, say), unless -Preserve asked for the source's. The
/// replacement is a new inode, so these are read from the old file (opened without following a
/// link and checked to be the file that was seen) and set on the new one through its descriptor
/// before it takes the name. The owner comes first (chown clears setuid bits), the mode after;
/// security.capability is never carried over (writing a file drops it, as the kernel drops it).
/// </summary>
internal static class ReplacedFileMetadata
{
    private const string AccessAcl = "system.posix_acl_access";
    private const string SecurityPrefix = "security.";
    private const string CapabilityAttribute = "security.capability";

    /// <summary>What of <paramref name="slot"/>'s existing file the new content keeps: none unless a
    /// regular file stands there (a link is replaced as a link; nothing is read through it).</summary>
    public static CopyPreserve KeptFrom(DestinationSlot slot, CopyPreserve keep) =>
        slot.Existing is { Kind: FileKind.File } ? keep & (CopyPreserve.Ownership | CopyPreserve.Mode | CopyPreserve.ExtendedAttributes) : CopyPreserve.None;

    /// <summary>The metadata of a new file that may take the place of <paramref name="slot"/>'s file, in
    /// the one order that keeps it right: the old file's owner first (what of
    /// <paramref name="keepReplaced"/> applies, see <see cref="KeptFrom"/>), then
    /// <paramref name="fromSource"/> sets what is taken from the source (it is given what is kept,
    /// to leave out), then the old file's mode, ACL and security attributes. Returns what
    /// <paramref name="fromSource"/> reported and the warning for what could not be kept, or null.</summary>
    public static (MetadataReport Metadata, string? NotKept) Apply<TState>(DestinationSlot slot, CopyPreserve keepReplaced, SafeFileHandle copy, TState state, System.Func<TState, CopyPreserve, MetadataReport> fromSource)
    {
        var keep = KeptFrom(slot, keepReplaced);
        FileStatus? mine = null;
        string? ownerNotKept = null;
        if ((keep & CopyPreserve.Ownership) != 0)
        {
            ownerNotKept = KeepOwner(slot.Existing!.Value, copy, slot.Path, out var owned);
            mine = owned;
        }

        var metadata = fromSource(state, keep);
        string? modeNotKept = keep != CopyPreserve.None ? KeepModeAndAttributes(slot, slot.Existing!.Value, copy, keep, mine) : null;
        return (metadata, Describe(slot.Path, ownerNotKept, modeNotKept));
    }

    /// <summary>Gives the new file the old one's owner and group; before anything else of the metadata.
    /// A user who may not (not root) keeps the group where they are in it; the rest is a warning.</summary>
    /// <param name="mine">The new file's status with the owner and group it now has.</param>
    public static string? KeepOwner(in FileStatus old, SafeHandle copy, string destinationPath, out FileStatus mine)
    {
        mine = Sys.Stat(copy, destinationPath);
        if (mine.Uid == old.Uid && mine.Gid == old.Gid)
        {
            return null;
        }

        try
        {
            Sys.SetOwnerOf(copy, old.Uid, old.Gid, destinationPath);
            mine = mine with { Uid = old.Uid, Gid = old.Gid };
            return null;
        }
        catch (SpliceException e) when (e.Errno is Errno.EPERM or Errno.EACCES)
        {
            try
            {
                Sys.SetOwnerOf(copy, uint.MaxValue, old.Gid, destinationPath);
            }
            catch (SpliceException again) when (again.Errno is Errno.EPERM or Errno.EACCES)
            {
                // Neither owner nor group may be kept by this user: said once, below.
            }

            mine = Sys.Stat(copy, destinationPath);

            return "owner (only root may give the new file to the old file's owner; -InPlace writes into the old file and keeps it)";
        }
    }

    /// <summary>Gives the new file the old one's mode, access ACL and security attributes (those in
    /// <paramref name="keep"/>); returns what could not be kept, or null. An access ACL the new
    /// file inherited from its directory's default ACL goes when the old file had none: cp, writing
    /// in place, leaves the old file without one.</summary>
    /// <param name="mine">The new file's status from <see cref="KeepOwner"/>, or null to look.</param>
    public static string? KeepModeAndAttributes(DestinationSlot slot, in FileStatus old, SafeFileHandle copy, CopyPreserve keep, FileStatus? mine)
    {
        if ((keep & (CopyPreserve.Mode | CopyPreserve.ExtendedAttributes)) == 0)
        {
            return null;
        }

        SafeFileHandle? existing;
        try
        {
            existing = slot.OpenExistingFile(write: false, read: true);
        }
        catch (SpliceException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            existing = null;
        }

        using (existing)
        {
            IReadOnlyList<string>? names = null;
            try
            {
                names = existing is null ? null : Sys.ListExtendedAttributes(existing, slot.Path);
            }
            catch (SpliceException e) when (e.Errno is Errno.EOPNOTSUPP or Errno.ENOSYS)
            {
                // No attributes on this file system: nothing to keep, nothing inherited.
            }

            if ((keep & CopyPreserve.Mode) != 0)
            {
                if (names is not null && !names.Contains(AccessAcl))
                {
                    Sys.RemoveExtendedAttribute(copy, AccessAcl, slot.Path);
                }

                var owned = mine ?? Sys.Stat(copy, slot.Path);
                int mode = MetadataCopier.KeptMode(old.Permissions, FileKind.File, owned.Uid == old.Uid, owned.Gid == old.Gid);
                Sys.SetPermissions(copy, mode, slot.Path);
            }

            if (existing is null)
            {
                return "ACL and security attributes (the old file cannot be read)";
            }

            return names is null ? null : CopyAttributes(slot, existing, copy, names, keep);
        }
    }

    private static string? CopyAttributes(DestinationSlot slot, SafeFileHandle existing, SafeFileHandle copy, IReadOnlyList<string> names, CopyPreserve keep)
    {
        var failures = new List<string>(0);
        foreach (string name in names)
        {
            bool wanted = name == AccessAcl ? (keep & CopyPreserve.Mode) != 0
                : name.StartsWith(SecurityPrefix, System.StringComparison.Ordinal) && name != CapabilityAttribute && (keep & CopyPreserve.ExtendedAttributes) != 0;
            if (wanted && Sys.GetExtendedAttribute(existing, name, slot.Path) is { } value)
            {
                try
                {
                    Sys.SetExtendedAttribute(copy, name, value, slot.Path);
                }
                catch (SpliceException e) when (e.Errno is Errno.EPERM or Errno.EACCES or Errno.EOPNOTSUPP)
                {
                    failures.Add($"{name} ({e.ErrnoName})");
                }
            }
        }

        return failures.Count == 0 ? null : string.Join(", ", failures);
    }

    /// <summary>The warning for what could not be kept, or null.</summary>
    public static string? Describe(string destinationPath, params string?[] failures)
    {
        var said = new List<string>(failures.Length);
        foreach (string? failure in failures)
        {
            if (failure is not null)
            {
                said.Add(failure);
            }
        }

        return said.Count == 0 ? null : $"'{destinationPath}' was replaced, but the new file could not keep the old file's {string.Join("; ", said)}.";
    }
}
