using System;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SpliceModule.Interop;

/// <summary>What a file is and the calls that change it through its descriptor (stat, statfs,
/// fchmod, futimens, fsync, fallocate, ftruncate), and anonymous memory for vmsplice.</summary>
internal static unsafe partial class Sys
{
    internal static FileStatus Stat(string path, bool followSymlinks = true)
    {
        byte* buffer = stackalloc byte[256];
        int flags = followSymlinks ? 0 : Flags.AT_SYMLINK_NOFOLLOW;
        if (LibC.Statx(Flags.AT_FDCWD, path, flags, Flags.STATX_BASIC_STATS, buffer) != 0)
        {
            throw new SpliceException(LastErrno, followSymlinks ? "stat" : "lstat", path);
        }

        return ToStatus(buffer);
    }

    /// <summary>Like <see cref="Stat(string, bool)"/> but null when nothing exists at the path.</summary>
    internal static FileStatus? TryStat(string path, bool followSymlinks = true)
    {
        byte* buffer = stackalloc byte[256];
        int flags = followSymlinks ? 0 : Flags.AT_SYMLINK_NOFOLLOW;
        if (LibC.Statx(Flags.AT_FDCWD, path, flags, Flags.STATX_BASIC_STATS, buffer) == 0)
        {
            return ToStatus(buffer);
        }

        int errno = LastErrno;
        if (errno == Errno.ENOENT || errno == Errno.ENOTDIR || (followSymlinks && errno == Errno.ELOOP))
        {
            return null;
        }

        throw new SpliceException(errno, "stat", path);
    }

    internal static FileStatus Stat(SafeHandle handle, string? path = null)
    {
        using var lease = new FdLease(handle);
        byte* buffer = stackalloc byte[256];
        if (LibC.Statx(lease.Fd, string.Empty, Flags.AT_EMPTY_PATH, Flags.STATX_BASIC_STATS, buffer) != 0)
        {
            throw new SpliceException(LastErrno, "fstat", path);
        }

        return ToStatus(buffer);
    }

    /// <summary>The magic number statfs(2) reports for the file system holding the descriptor.</summary>
    internal static long FileSystemType(SafeHandle handle, string? path = null)
    {
        using var lease = new FdLease(handle);
        byte* buffer = stackalloc byte[256];
        if (LibC.Fstatfs(lease.Fd, buffer) != 0)
        {
            throw new SpliceException(LastErrno, "fstatfs", path);
        }

        return *(long*)buffer;
    }

    internal static string KernelRelease()
    {
        const int FieldLength = 65;
        byte* buffer = stackalloc byte[FieldLength * 6];
        if (LibC.Uname(buffer) != 0)
        {
            throw new SpliceException(LastErrno, "uname");
        }

        var release = new ReadOnlySpan<byte>(buffer + (FieldLength * 2), FieldLength);
        int end = release.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? release : release[..end]);
    }

    internal static void SetPermissions(SafeHandle handle, int mode, string? path = null)
    {
        using var lease = new FdLease(handle);
        int fd = lease.Fd;
        while (LibC.Fchmod(fd, mode) != 0)
        {
            ThrowUnlessInterrupted("fchmod", path);
        }
    }

    internal static void SetTimes(SafeHandle handle, in FileStatus times, string? path = null)
    {
        using var lease = new FdLease(handle);
        LibC.TimeSpec* spec = stackalloc LibC.TimeSpec[2];
        spec[0] = new LibC.TimeSpec { Seconds = times.AccessSeconds, Nanoseconds = times.AccessNanoseconds };
        spec[1] = new LibC.TimeSpec { Seconds = times.ModifySeconds, Nanoseconds = times.ModifyNanoseconds };
        int fd = lease.Fd;
        while (LibC.Futimens(fd, spec) != 0)
        {
            ThrowUnlessInterrupted("futimens", path);
        }
    }

    internal static void Flush(SafeHandle handle, string? path = null)
    {
        using var lease = new FdLease(handle);
        int fd = lease.Fd;
        while (LibC.Fsync(fd) != 0)
        {
            ThrowUnlessInterrupted("fsync", path);
        }
    }

    /// <summary>fallocate(2) keeping the size: blocks for the bytes about to be written at
    /// [<paramref name="offset"/>, +<paramref name="length"/>), which a shorter file gives back
    /// at its ftruncate. Advice only: false, and nothing else happens, where the file system
    /// cannot reserve them (EOPNOTSUPP), lacks the room or refuses the range; writing the bytes
    /// then fails the way it would have anyway.</summary>
    internal static bool Preallocate(SafeHandle handle, long offset, long length)
    {
        using var lease = new FdLease(handle);
        int fd = lease.Fd;
        while (LibC.Fallocate(fd, Flags.FALLOC_FL_KEEP_SIZE, offset, length) != 0)
        {
            if (LastErrno != Errno.EINTR)
            {
                return false;
            }
        }

        return true;
    }

    internal static void Truncate(SafeHandle handle, long length, string? path = null)
    {
        using var lease = new FdLease(handle);
        int fd = lease.Fd;
        while (LibC.Ftruncate(fd, length) != 0)
        {
            ThrowUnlessInterrupted("ftruncate", path);
        }
    }

    /// <summary>Fresh private anonymous memory, page-aligned and already faulted in. Pages that
    /// vmsplice handed to a pipe stay alive after <see cref="UnmapMemory"/> for as long as the
    /// kernel still holds them, so unmapping (never reusing) keeps the pipe's bytes intact.
    /// Backed by a transparent huge page where the kernel offers one (THP "always" or "madvise"):
    /// one fault and one zeroing per region instead of 512, and vmsplice pins one huge page faster
    /// than the base pages it replaces, which matters most when every write brings new bytes
    /// (bench/results/NOTES.md). Both madvise calls are hints; without them the pages fault in on
    /// first write.</summary>
    internal static void* MapMemory(long length)
    {
        void* memory = LibC.Mmap(null, (nuint)length, Flags.PROT_READ | Flags.PROT_WRITE, Flags.MAP_PRIVATE | Flags.MAP_ANONYMOUS, -1, 0);
        if (memory == (void*)-1)
        {
            throw new SpliceException(LastErrno, "mmap");
        }

        LibC.Madvise(memory, (nuint)length, Flags.MADV_HUGEPAGE);
        LibC.Madvise(memory, (nuint)length, Flags.MADV_POPULATE_WRITE);
        return memory;
    }

    internal static void UnmapMemory(void* memory, long length)
    {
        if (LibC.Munmap(memory, (nuint)length) != 0)
        {
            throw new SpliceException(LastErrno, "munmap");
        }
    }

    private static FileStatus ToStatus(byte* b) => new(
        Mode: *(ushort*)(b + 28),
        Size: *(long*)(b + 40),
        Blocks: *(long*)(b + 48),
        Device: ((ulong)*(uint*)(b + 136) << 32) | *(uint*)(b + 140),
        Inode: *(ulong*)(b + 32),
        LinkCount: *(uint*)(b + 16),
        Uid: *(uint*)(b + 20),
        Gid: *(uint*)(b + 24),
        AccessSeconds: *(long*)(b + 64),
        AccessNanoseconds: *(uint*)(b + 72),
        ModifySeconds: *(long*)(b + 112),
        ModifyNanoseconds: *(uint*)(b + 120),
        ChangeSeconds: *(long*)(b + 96));
}
