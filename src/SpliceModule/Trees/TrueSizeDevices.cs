using System.Collections.Concurrent;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Remembers, per source file system of a tree, whether the sizes statx reports there are the
/// files' lengths: true on the disk file systems and tmpfs, not on /proc, /sys, FUSE or network
/// file systems, whose files may report 0 or a stale size and have other content. Asked once per
/// device (fstatfs of a directory on it), so a file of a true-size file system is copied by its
/// size alone and an empty one is not opened.
/// </summary>
internal sealed class TrueSizeDevices
{
    private readonly ConcurrentDictionary<ulong, bool> _byDevice = new();

    /// <summary>Whether <paramref name="file"/>, listed in <paramref name="directory"/>, has a true size.
    /// A file on another device than its directory (a file bind-mounted there) is not vouched for.</summary>
    public bool For(DirectoryHandle directory, in FileStatus file)
    {
        ulong device = directory.Status.Device;
        if (file.Device != device)
        {
            return false;
        }

        if (_byDevice.TryGetValue(device, out bool known))
        {
            return known;
        }

        bool answer;
        try
        {
            answer = Sys.FileSystemType(directory.Handle, directory.Path) is Flags.TMPFS_MAGIC or Flags.EXT4_SUPER_MAGIC or Flags.XFS_SUPER_MAGIC or Flags.BTRFS_SUPER_MAGIC;
        }
        catch (SpliceException)
        {
            answer = false;
        }

        return _byDevice.GetOrAdd(device, answer);
    }
}
