using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>What the sizes statx reports on a file system say about its files' lengths.</summary>
internal enum SizeTrust
{
    /// <summary>Not known: most likely the length (NFS, FUSE, overlay, vfat...), but not vouched for.</summary>
    Unknown,

    /// <summary>The length: the disk file systems and tmpfs.</summary>
    True,

    /// <summary>Not the length: the kernel's pseudo file systems (/proc, /sys, debugfs, cgroup...),
    /// whose files report 0 or a page and make their content when read.</summary>
    Pseudo,
}

/// <summary>
/// Remembers, per source file system of a tree, whether the sizes statx reports there are the
/// files' lengths: true on the disk file systems and tmpfs, not on /proc, /sys, FUSE or network
/// file systems, whose files may report 0 or a stale size and have other content. Asked once per
/// device (fstatfs of a directory on it), so a file of a true-size file system is copied by its
/// size alone and an empty one is not opened.
/// </summary>
internal sealed class TrueSizeDevices
{
    private readonly ConcurrentDictionary<ulong, SizeTrust> _byDevice = new();

    /// <summary>Whether <paramref name="file"/>, listed in <paramref name="directory"/>, has a true size.
    /// A file on another device than its directory (a file bind-mounted there) is not vouched for.</summary>
    public bool For(DirectoryHandle directory, in FileStatus file) => file.Device == directory.Status.Device && Of(directory) == SizeTrust.True;

    /// <summary>What the size of <paramref name="file"/>, listed in <paramref name="directory"/> and
    /// open as <paramref name="opened"/>, says: known by its directory's device, or asked of the file
    /// itself when it is on another device than its directory.</summary>
    public SizeTrust For(DirectoryHandle directory, in FileStatus file, SafeHandle opened, string path) =>
        file.Device == directory.Status.Device ? Of(directory) : Of(opened, path);

    /// <summary>The file system of <paramref name="handle"/> by its magic (fstatfs); Unknown when it cannot be asked.</summary>
    public static SizeTrust Of(SafeHandle handle, string path)
    {
        try
        {
            return Sys.FileSystemType(handle, path) switch
            {
                Flags.TMPFS_MAGIC or Flags.EXT4_SUPER_MAGIC or Flags.XFS_SUPER_MAGIC or Flags.BTRFS_SUPER_MAGIC => SizeTrust.True,
                Flags.PROC_SUPER_MAGIC or Flags.SYSFS_MAGIC or Flags.DEBUGFS_MAGIC or Flags.TRACEFS_MAGIC or Flags.SECURITYFS_MAGIC
                    or Flags.CONFIGFS_MAGIC or Flags.CGROUP_SUPER_MAGIC or Flags.CGROUP2_SUPER_MAGIC or Flags.PSTOREFS_MAGIC
                    or Flags.BPF_FS_MAGIC or Flags.EFIVARFS_MAGIC => SizeTrust.Pseudo,
                _ => SizeTrust.Unknown,
            };
        }
        catch (SpliceException)
        {
            return SizeTrust.Unknown;
        }
    }

    private SizeTrust Of(DirectoryHandle directory)
    {
        ulong device = directory.Status.Device;
        return _byDevice.TryGetValue(device, out var known) ? known : _byDevice.GetOrAdd(device, Of(directory.Handle, directory.Path));
    }
}
