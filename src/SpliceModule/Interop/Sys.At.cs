using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SpliceModule.Interop;

// Longer than 300 lines: one binding per *at call, each with its errno answers; the listing and
// process facts are in Sys.Listing.

/// <summary>
/// Calls relative to a held directory descriptor, the only way the engine names what it writes:
/// a directory of the destination swapped for a symbolic link after it was opened cannot redirect
/// them. <c>display</c> arguments are the paths for messages; they are never used to open anything.
/// </summary>
internal static unsafe partial class Sys
{
    internal static SafeFileHandle OpenAt(SafeHandle directory, EntryName name, int flags, int mode, string display)
    {
        using var lease = new FdLease(directory);
        fixed (byte* n = name.Terminated)
        {
            while (true)
            {
                int fd = LibC.OpenAt(lease.Fd, n, flags | Flags.O_CLOEXEC, mode);
                if (fd >= 0)
                {
                    return new SafeFileHandle(fd, ownsHandle: true);
                }

                ThrowUnlessInterrupted("openat", display);
            }
        }
    }

    /// <summary>What stands at a name in a directory, or null when nothing does; with
    /// <paramref name="followSymlinks"/> false a symbolic link is reported as itself.</summary>
    internal static FileStatus? TryStatAt(SafeHandle directory, EntryName name, bool followSymlinks, string display) =>
        TryStatAt(directory, name, followSymlinks, display, joinName: false);

    /// <summary>As <see cref="TryStatAt(SafeHandle, EntryName, bool, string)"/>, for walks that stat every
    /// name: the path for a message (the directory's and the name) is made only when the call fails.</summary>
    internal static FileStatus? TryStatIn(SafeHandle directory, string directoryDisplay, EntryName name, bool followSymlinks) =>
        TryStatAt(directory, name, followSymlinks, directoryDisplay, joinName: true);

    private static FileStatus? TryStatAt(SafeHandle directory, EntryName name, bool followSymlinks, string display, bool joinName)
    {
        using var lease = new FdLease(directory);
        byte* buffer = stackalloc byte[256];
        int flags = followSymlinks ? 0 : Flags.AT_SYMLINK_NOFOLLOW;
        fixed (byte* n = name.Terminated)
        {
            if (LibC.StatxAt(lease.Fd, n, flags, Flags.STATX_BASIC_STATS, buffer) == 0)
            {
                return ToStatus(buffer);
            }
        }

        int errno = LastErrno;
        if (errno == Errno.ENOENT || errno == Errno.ENOTDIR || (followSymlinks && errno == Errno.ELOOP))
        {
            return null;
        }

        string path = !joinName ? display : name.In(display);
        throw new SpliceException(errno, followSymlinks ? "stat" : "lstat", path);
    }

    /// <summary>The device number a character or block device node stands for (st_rdev), from its descriptor.</summary>
    internal static ulong DeviceNumber(SafeHandle node, string display)
    {
        using var lease = new FdLease(node);
        byte* buffer = stackalloc byte[256];
        byte empty = 0;
        if (LibC.StatxAt(lease.Fd, &empty, Flags.AT_EMPTY_PATH, Flags.STATX_BASIC_STATS, buffer) != 0)
        {
            throw new SpliceException(LastErrno, "fstat", display);
        }

        ulong major = *(uint*)(buffer + 128), minor = *(uint*)(buffer + 132);
        return ((major & 0xfffff000UL) << 32) | ((major & 0xfffUL) << 8) | ((minor & 0xffffff00UL) << 12) | (minor & 0xffUL);
    }

    /// <summary>mkdirat(2); false when something already stands at the name.</summary>
    internal static bool MakeDirectoryAt(SafeHandle directory, EntryName name, int mode, string display)
    {
        using var lease = new FdLease(directory);
        fixed (byte* n = name.Terminated)
        {
            while (LibC.MkdirAt(lease.Fd, n, mode) != 0)
            {
                if (LastErrno == Errno.EEXIST)
                {
                    return false;
                }

                ThrowUnlessInterrupted("mkdirat", display);
            }
        }

        return true;
    }

    /// <summary>mknodat(2): a FIFO, socket or device node; false when something already stands at the name.</summary>
    internal static bool MakeNodeAt(SafeHandle directory, EntryName name, uint mode, ulong device, string display)
    {
        using var lease = new FdLease(directory);
        fixed (byte* n = name.Terminated)
        {
            while (LibC.MknodAt(lease.Fd, n, (int)mode, device) != 0)
            {
                if (LastErrno == Errno.EEXIST)
                {
                    return false;
                }

                ThrowUnlessInterrupted("mknodat", display);
            }
        }

        return true;
    }

    /// <summary>symlinkat(2); false when something already stands at the name.</summary>
    internal static bool MakeSymbolicLinkAt(byte[] terminatedTarget, SafeHandle directory, EntryName name, string display)
    {
        using var lease = new FdLease(directory);
        fixed (byte* t = terminatedTarget)
        fixed (byte* n = name.Terminated)
        {
            while (LibC.SymlinkAt(t, lease.Fd, n) != 0)
            {
                if (LastErrno == Errno.EEXIST)
                {
                    return false;
                }

                ThrowUnlessInterrupted("symlinkat", display);
            }
        }

        return true;
    }

    /// <summary>The target of a symbolic link, as bytes with a terminating NUL (ready for symlinkat).</summary>
    internal static byte[] ReadLinkAt(SafeHandle directory, EntryName name, string display)
    {
        using var lease = new FdLease(directory);
        for (int size = 256; ; size *= 4)
        {
            var buffer = new byte[size];
            long length;
            fixed (byte* n = name.Terminated)
            fixed (byte* b = buffer)
            {
                length = LibC.ReadlinkAt(lease.Fd, n, b, (nuint)(size - 1));
            }

            if (length < 0)
            {
                int errno = LastErrno;
                throw new SpliceException(errno, "readlinkat", display, detail: errno == Errno.EINVAL ? "It is no longer a symbolic link." : null);
            }

            if (length < size - 1)
            {
                return buffer[..((int)length + 1)];
            }
        }
    }

    /// <summary>Gives an unnamed O_TMPFILE file (or a held file) a name; false when something already
    /// stands there. By AT_EMPTY_PATH where the process may (CAP_DAC_READ_SEARCH, as root has), else
    /// through /proc/self/fd, which any user may use but costs a lookup in /proc per file. ENOENT from
    /// both means the file has no name left to link from (removed since it was opened): thrown, and
    /// it does not change how later files are linked.</summary>
    internal static bool LinkAnonymousFileAt(SafeHandle file, SafeHandle directory, EntryName name, string display)
    {
        using var source = new FdLease(file);
        using var target = new FdLease(directory);
        fixed (byte* empty = EmptyName)
        fixed (byte* n = name.Terminated)
        {
            bool emptyPathRefused = false;
            if (!s_linkThroughProc)
            {
                while (LibC.LinkAt(source.Fd, empty, target.Fd, n, Flags.AT_EMPTY_PATH) != 0)
                {
                    int errno = LastErrno;
                    if (errno == Errno.EEXIST)
                    {
                        return false;
                    }

                    if (errno == Errno.ENOENT)
                    {
                        emptyPathRefused = true; // no CAP_DAC_READ_SEARCH, or a removed file: /proc tells which
                        break;
                    }

                    ThrowUnlessInterrupted("linkat", display);
                }

                if (!emptyPathRefused)
                {
                    return true;
                }
            }

            var procPath = EntryName.From("/proc/self/fd/" + source.Fd);
            fixed (byte* p = procPath.Terminated)
            {
                while (LibC.LinkAt(Flags.AT_FDCWD, p, target.Fd, n, Flags.AT_SYMLINK_FOLLOW) != 0)
                {
                    if (LastErrno == Errno.EEXIST)
                    {
                        s_linkThroughProc |= emptyPathRefused;
                        return false;
                    }

                    ThrowUnlessInterrupted("linkat", display);
                }
            }

            s_linkThroughProc |= emptyPathRefused;
        }

        return true;
    }

    /// <summary>Set once linkat with AT_EMPTY_PATH answered ENOENT where /proc/self/fd then worked:
    /// this process lacks CAP_DAC_READ_SEARCH.</summary>
    private static volatile bool s_linkThroughProc;

    internal static void RenameAt(SafeHandle directory, EntryName from, EntryName to, string fromDisplay, string toDisplay)
    {
        using var lease = new FdLease(directory);
        fixed (byte* f = from.Terminated)
        fixed (byte* t = to.Terminated)
        {
            while (LibC.RenameAt(lease.Fd, f, lease.Fd, t) != 0)
            {
                ThrowUnlessInterrupted("renameat", fromDisplay, toDisplay);
            }
        }
    }

    /// <summary>renameat2(2) with RENAME_NOREPLACE inside one directory: false when something stands at
    /// <paramref name="to"/>. Where the file system has no RENAME_NOREPLACE (EINVAL), a plain rename
    /// after a look.</summary>
    internal static bool RenameNoReplaceAt(SafeHandle directory, EntryName from, EntryName to, string fromDisplay, string toDisplay)
    {
        using var lease = new FdLease(directory);
        fixed (byte* f = from.Terminated)
        fixed (byte* t = to.Terminated)
        {
            while (LibC.RenameAt2(lease.Fd, f, lease.Fd, t, Flags.RENAME_NOREPLACE) != 0)
            {
                switch (LastErrno)
                {
                    case Errno.EEXIST:
                        return false;
                    case Errno.EINVAL when TryStatAt(directory, to, followSymlinks: false, toDisplay) is null:
                        RenameAt(directory, from, to, fromDisplay, toDisplay);
                        return true;
                    case Errno.EINVAL:
                        return false;
                }

                ThrowUnlessInterrupted("renameat2", fromDisplay, toDisplay);
            }
        }

        return true;
    }

    /// <summary>Removes a name from a directory (never what a link points to); a name already gone is not an error.</summary>
    internal static void UnlinkAt(SafeHandle directory, EntryName name, bool isDirectory, string display)
    {
        using var lease = new FdLease(directory);
        fixed (byte* n = name.Terminated)
        {
            while (LibC.UnlinkAt(lease.Fd, n, isDirectory ? Flags.AT_REMOVEDIR : 0) != 0)
            {
                if (LastErrno == Errno.ENOENT)
                {
                    return;
                }

                ThrowUnlessInterrupted("unlinkat", display);
            }
        }
    }

    /// <summary>Owner of whatever the descriptor stands for, an O_PATH descriptor of a link or node included.</summary>
    internal static void SetOwnerOf(SafeHandle node, uint uid, uint gid, string display)
    {
        using var lease = new FdLease(node);
        byte empty = 0;
        while (LibC.FchownAt(lease.Fd, &empty, (int)uid, (int)gid, Flags.AT_EMPTY_PATH) != 0)
        {
            ThrowUnlessInterrupted("fchownat", display);
        }
    }

    /// <summary>Times of whatever the descriptor stands for, an O_PATH descriptor of a link or node included.</summary>
    internal static void SetTimesOf(SafeHandle node, in FileStatus times, string display)
    {
        using var lease = new FdLease(node);
        LibC.TimeSpec* spec = stackalloc LibC.TimeSpec[2];
        spec[0] = new LibC.TimeSpec { Seconds = times.AccessSeconds, Nanoseconds = times.AccessNanoseconds };
        spec[1] = new LibC.TimeSpec { Seconds = times.ModifySeconds, Nanoseconds = times.ModifyNanoseconds };
        byte empty = 0;
        while (LibC.UtimensAt(lease.Fd, &empty, spec, Flags.AT_EMPTY_PATH) != 0)
        {
            ThrowUnlessInterrupted("utimensat", display);
        }
    }

    /// <summary>Permission bits of a node held by an O_PATH descriptor (which fchmod refuses):
    /// fchmodat2 with AT_EMPTY_PATH where the kernel has it (6.6), else chmod of its /proc/self/fd
    /// entry, which reaches the same inode and never a path.</summary>
    internal static void SetPermissionsOf(SafeHandle node, int mode, string display)
    {
        using var lease = new FdLease(node);
        if (!s_noFchmodAt2)
        {
            byte empty = 0;
            while (LibC.Syscall4(Flags.SYS_fchmodat2, lease.Fd, (nint)(&empty), mode, Flags.AT_EMPTY_PATH) != 0)
            {
                int errno = LastErrno;
                if (errno == Errno.ENOSYS)
                {
                    s_noFchmodAt2 = true;
                    break;
                }

                if (errno != Errno.EINTR)
                {
                    throw new SpliceException(errno, "fchmodat2", display);
                }
            }

            if (!s_noFchmodAt2)
            {
                return;
            }
        }

        var procPath = EntryName.From("/proc/self/fd/" + lease.Fd);
        fixed (byte* p = procPath.Terminated)
        {
            while (LibC.ChmodBytes(p, mode) != 0)
            {
                ThrowUnlessInterrupted("chmod", display);
            }
        }
    }

    private static readonly byte[] EmptyName = { 0 };
}
