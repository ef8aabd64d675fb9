namespace SpliceModule.Interop;

/// <summary>Linux constants (the generic ABI shared by x86_64 and arm64).</summary>
internal static class Flags
{
    internal const int O_RDONLY = 0x0;
    internal const int O_WRONLY = 0x1;
    internal const int O_RDWR = 0x2;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_NOCTTY = 0x100;
    internal const int O_TRUNC = 0x200;
    internal const int O_APPEND = 0x400;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_DIRECTORY = 0x10000;
    internal const int O_NOFOLLOW = 0x20000;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_PATH = 0x200000;
    internal const int O_TMPFILE = 0x410000;

    internal const uint MFD_CLOEXEC = 1;

    internal const int FALLOC_FL_KEEP_SIZE = 1;

    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int F_SETPIPE_SZ = 1031;
    internal const int F_GETPIPE_SZ = 1032;

    internal const uint SPLICE_F_MOVE = 1;
    internal const uint SPLICE_F_NONBLOCK = 2;
    internal const int MSG_DONTWAIT = 0x40;
    internal const uint SPLICE_F_MORE = 4;
    internal const uint SPLICE_F_GIFT = 8;

    internal const nuint FICLONE = 0x40049409;
    internal const nuint FIONREAD = 0x541B;

    internal const int SEEK_SET = 0;
    internal const int SEEK_CUR = 1;
    internal const int SEEK_END = 2;
    internal const int SEEK_DATA = 3;
    internal const int SEEK_HOLE = 4;

    internal const short POLLIN = 0x1;
    internal const short POLLOUT = 0x4;
    internal const short POLLERR = 0x8;
    internal const short POLLHUP = 0x10;
    internal const short POLLNVAL = 0x20;

    internal const int SOL_SOCKET = 1;
    internal const int SO_REUSEADDR = 2;
    internal const int SO_RCVLOWAT = 18;
    internal const int SO_PROTOCOL = 38;
    internal const int IPPROTO_TCP = 6;

    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_EMPTY_PATH = 0x1000;

    /// <summary>renameat2(2): fail with EEXIST rather than replace what stands at the new name.</summary>
    internal const uint RENAME_NOREPLACE = 1;
    internal const int AT_REMOVEDIR = 0x200;
    internal const int AT_SYMLINK_FOLLOW = 0x400;

    internal const int LOCK_SH = 1;
    internal const int LOCK_EX = 2;
    internal const int LOCK_NB = 4;

    /// <summary>fchmodat2(2), Linux 6.6: the one chmod that takes AT_EMPTY_PATH (the same number on every architecture).</summary>
    internal const int SYS_fchmodat2 = 452;
    internal const uint STATX_BASIC_STATS = 0x7ff;

    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_PRIVATE = 0x02;
    internal const int MAP_ANONYMOUS = 0x20;
    internal const int MADV_HUGEPAGE = 14;
    internal const int MADV_POPULATE_WRITE = 23;

    internal const long UTIME_OMIT = (1L << 30) - 2;

    /// <summary>Mode bits (inode(7)): set-user-ID, set-group-ID, sticky; write by group or by others.</summary>
    internal const int S_ISUID = 0b100_000_000_000;
    internal const int S_ISGID = 0b010_000_000_000;
    internal const int S_ISVTX = 0b001_000_000_000;
    internal const int S_IWGRP_S_IWOTH = 0b000_010_010;

    /// <summary>getdents64(2) d_type of a directory.</summary>
    internal const byte DT_DIR = 4;

    /// <summary>The longest path, with its NUL, that path-based calls take (linux/limits.h).</summary>
    internal const int PATH_MAX = 4096;

    /// <summary>statfs(2) f_type of tmpfs, whose page cache is shared memory in base pages.</summary>
    internal const long TMPFS_MAGIC = 0x01021994;

    /// <summary>statfs(2) f_type of ext2, ext3 and ext4 (one magic for the three).</summary>
    internal const long EXT4_SUPER_MAGIC = 0xEF53;

    internal const long XFS_SUPER_MAGIC = 0x58465342;

    internal const long BTRFS_SUPER_MAGIC = 0x9123683E;

    // statfs(2) f_type of the kernel's pseudo file systems, whose files' sizes are not their
    // content's length (0 or a page, the content made when read).
    internal const long PROC_SUPER_MAGIC = 0x9FA0;
    internal const long SYSFS_MAGIC = 0x62656572;
    internal const long DEBUGFS_MAGIC = 0x64626720;
    internal const long TRACEFS_MAGIC = 0x74726163;
    internal const long SECURITYFS_MAGIC = 0x73636673;
    internal const long CONFIGFS_MAGIC = 0x62656570;
    internal const long CGROUP_SUPER_MAGIC = 0x27E0EB;
    internal const long CGROUP2_SUPER_MAGIC = 0x63677270;
    internal const long PSTOREFS_MAGIC = 0x6165676C;
    internal const long BPF_FS_MAGIC = 0xCAFE4A11;
    internal const long EFIVARFS_MAGIC = 0xDE5E81E4;
}
