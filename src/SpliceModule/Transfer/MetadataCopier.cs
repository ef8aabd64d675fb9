using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Carries what a file is (owner, mode, extended attributes, times) from a source to its copy.
/// Order matters: chown clears setuid bits, so the mode comes after it; anything written changes
/// the times, so they come last.
/// </summary>
internal static class MetadataCopier
{
    /// <summary>Applies through an open descriptor of the copy (files and directories).</summary>
    public static void Apply(SafeHandle source, in FileStatus sourceStatus, SafeHandle destination, CopyPreserve preserve, string sourcePath, string destinationPath)
    {
        if ((preserve & CopyPreserve.Ownership) != 0)
        {
            Sys.SetOwner(destination, sourceStatus.Uid, sourceStatus.Gid, destinationPath);
        }

        if ((preserve & CopyPreserve.Mode) != 0)
        {
            Sys.SetPermissions(destination, sourceStatus.Permissions, destinationPath);
        }

        if ((preserve & CopyPreserve.ExtendedAttributes) != 0)
        {
            CopyExtendedAttributes(source, destination, sourcePath, destinationPath);
        }

        if ((preserve & CopyPreserve.Timestamps) != 0 && sourceStatus.Kind is FileKind.File or FileKind.Directory)
        {
            Sys.SetTimes(destination, sourceStatus, destinationPath);
        }
    }

    /// <summary>Applies to a symbolic link itself (which has no descriptor): owner and times only,
    /// as cp -a does; a link's mode means nothing on Linux.</summary>
    public static void ApplyToLink(in FileStatus linkStatus, string linkPath, CopyPreserve preserve)
    {
        if ((preserve & CopyPreserve.Ownership) != 0)
        {
            Sys.SetLinkOwner(linkPath, linkStatus.Uid, linkStatus.Gid);
        }

        if ((preserve & CopyPreserve.Timestamps) != 0)
        {
            Sys.SetTimes(linkPath, linkStatus, followSymlinks: false);
        }
    }

    /// <summary>Applies by path to a node that must not be opened (a new FIFO or device would block
    /// or act on open): owner, mode and times.</summary>
    public static void ApplyToNode(in FileStatus sourceStatus, string path, CopyPreserve preserve)
    {
        ApplyToLink(sourceStatus, path, preserve & CopyPreserve.Ownership);
        if ((preserve & CopyPreserve.Mode) != 0)
        {
            Sys.SetPermissions(path, sourceStatus.Permissions);
        }

        ApplyToLink(sourceStatus, path, preserve & CopyPreserve.Timestamps);
    }

    private static void CopyExtendedAttributes(SafeHandle source, SafeHandle destination, string sourcePath, string destinationPath)
    {
        foreach (string name in Sys.ListExtendedAttributes(source, sourcePath))
        {
            byte[]? value = Sys.GetExtendedAttribute(source, name, sourcePath);
            if (value is not null)
            {
                Sys.SetExtendedAttribute(destination, name, value, destinationPath);
            }
        }
    }
}
