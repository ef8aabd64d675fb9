using System.Collections.Generic;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>What applying a source's metadata to a copy came to.</summary>
/// <param name="PrivilegeBitsDropped">Setuid, setgid or sticky bits (or a security.capability
/// attribute) were left off because the copy does not have the source's owner.</param>
/// <param name="Failure">What the destination's file system would not take (exFAT has no owners or
/// modes, FAT no xattrs): the copy is kept, as cp keeps it, and the caller warns.</param>
internal readonly record struct MetadataReport(bool PrivilegeBitsDropped, string? Failure)
{
    /// <summary>-Preserve Ownership was asked for by name and the owner could not be given (not
    /// root): an error, though the copy is kept (as cp --preserve=ownership keeps it).</summary>
    public string? OwnershipRefused { get; init; }
}

/// <summary>
/// Carries what a file is (owner, mode, extended attributes, times) from a source to its copy,
/// always through a descriptor of the copy. Order matters: chown clears setuid bits and
/// capabilities, so mode and attributes come after it; anything written changes the times, so they
/// come last. Setuid, setgid and the sticky bit of a non-directory, and security.capability, are
/// kept only when the copy has the source's owner (and group, for setgid): a root copy of a user's
/// setuid file must not become a root setuid file (cp -p keeps them only with the owner).
/// </summary>
internal static class MetadataCopier
{
    private const string CapabilityAttribute = "security.capability";
    private const int PermissionBits = 0b111_111_111;

    /// <summary>Private (0600): a new copy's mode until <see cref="Apply"/> gives it its own.</summary>
    internal const int PrivateFileMode = 0b110_000_000;

    /// <summary>The mode to create a copy of a regular file with (open(2)'s mode argument): its
    /// final one where open can give it exactly (-Preserve Mode without attributes to copy first,
    /// plain permission bits that the umask leaves whole and that let nobody else write), so
    /// that <see cref="Apply"/>, told so, has no fchmod left to do; else private (0600).</summary>
    public static int CreationMode(in FileStatus source, CopyPreserve preserve)
    {
        int mode = source.Permissions;
        bool exact = (preserve & (CopyPreserve.Mode | CopyPreserve.ExtendedAttributes)) == CopyPreserve.Mode
            && source.Kind == FileKind.File
            && (mode & ~PermissionBits) == 0
            && (mode & (Flags.S_IWGRP_S_IWOTH | Sys.Umask)) == 0;
        return exact ? mode : PrivateFileMode;
    }

    /// <summary>Applies to an open copy. <paramref name="source"/> may be null where there is no source
    /// descriptor (attributes are then not copied). <paramref name="pathOnly"/>: the copy is an O_PATH
    /// descriptor of a link or node (which fchmod and fsetxattr refuse). <paramref name="createdWith"/>:
    /// the mode the copy was created with (<see cref="CreationMode"/>), not set again.</summary>
    public static MetadataReport Apply(SafeHandle? source, in FileStatus sourceStatus, SafeHandle destination, CopyPreserve preserve, string sourcePath, string destinationPath, bool pathOnly = false, int createdWith = -1)
    {
        List<string>? failures = null;
        // -Preserve All is cp -a: what this user may not keep is left off quietly.
        bool bestEffort = (preserve & CopyPreserve.All) == CopyPreserve.All;
        string? ownershipRefused = null;
        if ((preserve & CopyPreserve.Ownership) != 0)
        {
            var refused = new List<string>(0);
            KeepOwner(destination, sourceStatus.Uid, sourceStatus.Gid, destinationPath, bestEffort, refused, ref failures);
            ownershipRefused = refused.Count == 0 ? null : $"'{destinationPath}' was copied, but it could not be given its source's owner and group ({string.Join(", ", refused)}): only root may give a file to another user.";
        }

        int mode = sourceStatus.Permissions;
        bool dropped = false;
        bool needsOwner = (mode & (Flags.S_ISUID | Flags.S_ISGID | (sourceStatus.Kind == FileKind.Directory ? 0 : Flags.S_ISVTX))) != 0
            || (preserve & CopyPreserve.ExtendedAttributes) != 0;
        var copy = needsOwner ? Sys.Stat(destination, destinationPath) : default;
        bool ownerKept = needsOwner && copy.Uid == sourceStatus.Uid;
        bool groupKept = needsOwner && copy.Gid == sourceStatus.Gid;
        if ((preserve & CopyPreserve.Mode) != 0 && sourceStatus.Kind != FileKind.SymbolicLink)
        {
            int kept = KeptMode(mode, sourceStatus.Kind, ownerKept, groupKept);
            dropped = kept != mode;
            if (kept != createdWith || (createdWith & Sys.Umask) != 0 || pathOnly)
            {
                Tolerate(ref failures, "mode", (destination, kept, destinationPath, pathOnly), static step =>
                {
                    if (step.pathOnly)
                    {
                        Sys.SetPermissionsOf(step.destination, step.kept, step.destinationPath);
                    }
                    else
                    {
                        Sys.SetPermissions(step.destination, step.kept, step.destinationPath);
                    }
                });
            }
        }

        if ((preserve & CopyPreserve.ExtendedAttributes) != 0 && source is not null && !pathOnly)
        {
            List<string>? ignored = null;
            dropped |= CopyExtendedAttributes(source, destination, sourcePath, destinationPath, ownerKept, ref bestEffort ? ref ignored : ref failures);
        }

        if ((preserve & CopyPreserve.Timestamps) != 0)
        {
            Tolerate(ref failures, "times", (destination, times: sourceStatus, destinationPath, pathOnly), static step =>
            {
                if (step.pathOnly)
                {
                    Sys.SetTimesOf(step.destination, step.times, step.destinationPath);
                }
                else
                {
                    Sys.SetTimes(step.destination, step.times, step.destinationPath);
                }
            });
        }

        return new MetadataReport(dropped, failures is not { Count: > 0 } ? null : $"'{destinationPath}' was copied, but its {string.Join(", ", failures)} could not be preserved.")
        {
            OwnershipRefused = ownershipRefused,
        };
    }

    /// <summary>Gives the copy an owner and group. Best effort (cp -a) where the user may not: the
    /// group alone when the user is in it, else nothing, without a word. Asked for by name, a user
    /// who may not is <paramref name="refused"/> (an error); a file system without owners is a failure (a warning).</summary>
    private static void KeepOwner(SafeHandle destination, uint uid, uint gid, string destinationPath, bool bestEffort, List<string> refused, ref List<string>? failures)
    {
        try
        {
            Sys.SetOwnerOf(destination, uid, gid, destinationPath);
        }
        catch (SpliceException e) when (IsUnsupported(e) && bestEffort)
        {
            List<string>? ignored = null;
            Tolerate(ref ignored, "group", (destination, gid, destinationPath), static step => Sys.SetOwnerOf(step.destination, uint.MaxValue, step.gid, step.destinationPath));
        }
        catch (SpliceException e) when (e.Errno == Errno.EPERM && Sys.EffectiveUid != 0)
        {
            refused.Add(e.ErrnoName);
        }
        catch (SpliceException e) when (IsUnsupported(e))
        {
            // Root refused by the file system (no owners on exFAT): a warning, as for the other parts.
            Note(ref failures, "owner and group", e);
        }
    }

    /// <summary>The permission bits a copy may have: the source's, less the bits that grant its
    /// owner's or group's rights to whoever runs it, unless the copy has that owner or group.</summary>
    internal static int KeptMode(int mode, FileKind kind, bool ownerKept, bool groupKept)
    {
        if (!ownerKept)
        {
            mode &= ~Flags.S_ISUID;
            if (kind != FileKind.Directory)
            {
                mode &= ~Flags.S_ISVTX;
            }
        }

        if (!groupKept || !ownerKept && kind != FileKind.Directory)
        {
            mode &= ~Flags.S_ISGID;
        }

        return mode;
    }

    /// <summary>Copies the attributes; returns true when security.capability was left off for want of the owner.</summary>
    private static bool CopyExtendedAttributes(SafeHandle source, SafeHandle destination, string sourcePath, string destinationPath, bool ownerKept, ref List<string>? failures)
    {
        bool dropped = false;
        IReadOnlyList<string> names;
        try
        {
            names = Sys.ListExtendedAttributes(source, sourcePath);
        }
        catch (SpliceException e) when (IsUnsupported(e))
        {
            Note(ref failures, "extended attributes", e);
            return false;
        }

        foreach (string name in names)
        {
            if (name == CapabilityAttribute && !ownerKept)
            {
                dropped = true;
                continue;
            }

            byte[]? value = Sys.GetExtendedAttribute(source, name, sourcePath);
            if (value is not null)
            {
                Tolerate(ref failures, $"extended attribute {name}", (destination, name, value, destinationPath), static step => Sys.SetExtendedAttribute(step.destination, step.name, step.value, step.destinationPath));
            }
        }

        return dropped;
    }

    /// <summary>Runs one step; a refusal by the file system or the permissions (EPERM, EACCES,
    /// EOPNOTSUPP, ENOSYS) is noted and the copy kept, as cp does. Real errors (EIO) still throw.</summary>
    /// <remarks>The step's inputs come as <paramref name="state"/> to a static step: no closure for every file of a tree.</remarks>
    private static void Tolerate<TState>(ref List<string>? failures, string what, TState state, System.Action<TState> step)
    {
        try
        {
            step(state);
        }
        catch (SpliceException e) when (IsUnsupported(e))
        {
            Note(ref failures, what, e);
        }
    }

    /// <summary>A part the copy could not keep, for the warning; the list is made at the first (most copies have none).</summary>
    private static void Note(ref List<string>? failures, string what, SpliceException e) => (failures ??= new List<string>(1)).Add($"{what} ({e.ErrnoName})");

    private static bool IsUnsupported(SpliceException e) => e.Errno is Errno.EPERM or Errno.EACCES or Errno.EOPNOTSUPP or Errno.ENOSYS;
}
