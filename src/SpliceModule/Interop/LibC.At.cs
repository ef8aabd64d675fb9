using System.Runtime.InteropServices;

namespace SpliceModule.Interop;

/// <summary>
/// The calls relative to an open directory. Names are passed as NUL-terminated bytes, exactly as
/// the kernel stores them, so that names which are not valid UTF-8 can be copied too.
/// </summary>
internal static unsafe partial class LibC
{
    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true)]
    internal static partial int OpenAt(int dirFd, byte* name, int flags, int mode);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
    internal static partial int StatxAt(int dirFd, byte* name, int flags, uint mask, byte* buffer);

    [LibraryImport(Library, EntryPoint = "mkdirat", SetLastError = true)]
    internal static partial int MkdirAt(int dirFd, byte* name, int mode);

    [LibraryImport(Library, EntryPoint = "mknodat", SetLastError = true)]
    internal static partial int MknodAt(int dirFd, byte* name, int mode, ulong device);

    [LibraryImport(Library, EntryPoint = "symlinkat", SetLastError = true)]
    internal static partial int SymlinkAt(byte* target, int dirFd, byte* name);

    [LibraryImport(Library, EntryPoint = "readlinkat", SetLastError = true)]
    internal static partial nint ReadlinkAt(int dirFd, byte* name, byte* buffer, nuint size);

    [LibraryImport(Library, EntryPoint = "linkat", SetLastError = true)]
    internal static partial int LinkAt(int oldDirFd, byte* oldName, int newDirFd, byte* newName, int flags);

    [LibraryImport(Library, EntryPoint = "renameat", SetLastError = true)]
    internal static partial int RenameAt(int oldDirFd, byte* oldName, int newDirFd, byte* newName);

    [LibraryImport(Library, EntryPoint = "renameat2", SetLastError = true)]
    internal static partial int RenameAt2(int oldDirFd, byte* oldName, int newDirFd, byte* newName, uint flags);

    [LibraryImport(Library, EntryPoint = "unlinkat", SetLastError = true)]
    internal static partial int UnlinkAt(int dirFd, byte* name, int flags);

    [LibraryImport(Library, EntryPoint = "fchownat", SetLastError = true)]
    internal static partial int FchownAt(int dirFd, byte* name, int uid, int gid, int flags);

    [LibraryImport(Library, EntryPoint = "utimensat", SetLastError = true)]
    internal static partial int UtimensAt(int dirFd, byte* name, TimeSpec* times, int flags);

    [LibraryImport(Library, EntryPoint = "chmod", SetLastError = true)]
    internal static partial int ChmodBytes(byte* path, int mode);

    [LibraryImport(Library, EntryPoint = "getdents64", SetLastError = true)]
    internal static partial nint Getdents64(int fd, byte* buffer, nuint size);

    [LibraryImport(Library, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport(Library, EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUid();

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial nint Syscall4(nint number, nint a, nint b, nint c, nint d);
}
