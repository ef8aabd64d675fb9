using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SpliceModule.Interop;

/// <summary>
/// The calls that copy what a file is rather than what it holds: times and owners of symbolic
/// links (which have no descriptor of their own), special files, and extended attributes.
/// </summary>
internal static unsafe partial class Sys
{
    private const int ERANGE = 34;
    private const int ENODATA = 61;

    /// <summary>Sets access and modification times by path; with <paramref name="followSymlinks"/>
    /// false a symbolic link gets the times itself (as cp -a does).</summary>
    internal static void SetTimes(string path, in FileStatus times, bool followSymlinks)
    {
        LibC.TimeSpec* spec = stackalloc LibC.TimeSpec[2];
        spec[0] = new LibC.TimeSpec { Seconds = times.AccessSeconds, Nanoseconds = times.AccessNanoseconds };
        spec[1] = new LibC.TimeSpec { Seconds = times.ModifySeconds, Nanoseconds = times.ModifyNanoseconds };
        int flags = followSymlinks ? 0 : Flags.AT_SYMLINK_NOFOLLOW;
        Check(() => LibC.Utimensat(Flags.AT_FDCWD, path, spec, flags), "utimensat", path);
    }

    /// <summary>Changes the owner of the link itself, never of what it points to.</summary>
    internal static void SetLinkOwner(string path, uint uid, uint gid) =>
        Check(() => LibC.Fchownat(Flags.AT_FDCWD, path, (int)uid, (int)gid, Flags.AT_SYMLINK_NOFOLLOW), "lchown", path);

    /// <summary>chmod(2) by path, for nodes that must not be opened (a new FIFO would block).</summary>
    internal static void SetPermissions(string path, int mode) => Check(() => LibC.Chmod(path, mode), "chmod", path);

    /// <summary>mknod(2): a FIFO, socket or device node with the given type and permission bits.</summary>
    internal static void MakeNode(string path, uint mode, ulong device) =>
        Check(() => LibC.Mknod(path, (int)mode, device), "mknod", path);

    /// <summary>The device number a character or block device node stands for (st_rdev).</summary>
    internal static ulong DeviceNumber(string path)
    {
        byte* buffer = stackalloc byte[256];
        if (LibC.Statx(Flags.AT_FDCWD, path, Flags.AT_SYMLINK_NOFOLLOW, Flags.STATX_BASIC_STATS, buffer) != 0)
        {
            throw new SpliceException(LastErrno, "lstat", path);
        }

        ulong major = *(uint*)(buffer + 128), minor = *(uint*)(buffer + 132);
        return ((major & 0xfffff000UL) << 32) | ((major & 0xfffUL) << 8) | ((minor & 0xffffff00UL) << 12) | (minor & 0xffUL);
    }

    /// <summary>Names of the extended attributes on an open file; empty where the file system has none.</summary>
    internal static IReadOnlyList<string> ListExtendedAttributes(SafeHandle handle, string? path = null)
    {
        using var lease = new FdLease(handle);
        int fd = lease.Fd;
        while (true)
        {
            long size = SizeOrExpected(() => LibC.Flistxattr(fd, null, 0), "flistxattr", path, Errno.EOPNOTSUPP);
            if (size <= 0)
            {
                return Array.Empty<string>();
            }

            var buffer = new byte[size];
            long length;
            fixed (byte* p = buffer)
            {
                byte* list = p;
                length = SizeOrExpected(() => LibC.Flistxattr(fd, list, (nuint)buffer.Length), "flistxattr", path, ERANGE);
            }

            if (length < 0)
            {
                continue; // an attribute was added since the size query
            }

            var names = new List<string>();
            int start = 0;
            for (int i = 0; i < length; i++)
            {
                if (buffer[i] == 0)
                {
                    if (i > start)
                    {
                        names.Add(Encoding.UTF8.GetString(buffer, start, i - start));
                    }

                    start = i + 1;
                }
            }

            return names;
        }
    }

    /// <summary>The value of one extended attribute; null when it vanished meanwhile.</summary>
    internal static byte[]? GetExtendedAttribute(SafeHandle handle, string name, string? path = null)
    {
        using var lease = new FdLease(handle);
        int fd = lease.Fd;
        while (true)
        {
            long size = SizeOrExpected(() => LibC.Fgetxattr(fd, name, null, 0), "fgetxattr", path, ENODATA);
            if (size < 0)
            {
                return null;
            }

            var value = new byte[size];
            long length;
            fixed (byte* p = value)
            {
                byte* data = p;
                length = SizeOrExpected(() => LibC.Fgetxattr(fd, name, data, (nuint)value.Length), "fgetxattr", path, ERANGE);
            }

            if (length >= 0)
            {
                return length == value.Length ? value : value[..(int)length];
            }
        }
    }

    internal static void SetExtendedAttribute(SafeHandle handle, string name, byte[] value, string? path = null)
    {
        using var lease = new FdLease(handle);
        int fd = lease.Fd;
        fixed (byte* p = value)
        {
            byte* data = p;
            Check(() => LibC.Fsetxattr(fd, name, data, (nuint)value.Length, 0), "fsetxattr", path);
        }
    }

    /// <summary>Runs a call that returns a size, as <see cref="Retry"/> does; <paramref name="expectedErrno"/> is an
    /// answer, not a failure (the size changed, the attribute vanished, no attributes here), so it returns -1 for it.</summary>
    private static long SizeOrExpected(Func<nint> call, string syscall, string? path, int expectedErrno)
    {
        try
        {
            return Retry(call, syscall, null, path, null);
        }
        catch (SpliceException e) when (e.Errno == expectedErrno)
        {
            return -1;
        }
    }
}
