using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SpliceModule.Interop;

/// <summary>
/// The calls that copy what a file is rather than what it holds: extended attributes (owners,
/// modes and times of links and nodes go through O_PATH descriptors, in Sys.At).
/// </summary>
internal static unsafe partial class Sys
{
    private const int ERANGE = 34;
    private const int ENODATA = 61;

    /// <summary>Names of the extended attributes on an open file; empty where the file system has none.</summary>
    internal static IReadOnlyList<string> ListExtendedAttributes(SafeHandle handle, string? path = null)
    {
        using var lease = new FdLease(handle);
        int fd = lease.Fd;
        while (true)
        {
            long size = SizeOrExpected(LibC.Flistxattr(fd, null, 0), "flistxattr", path, Errno.EOPNOTSUPP);
            if (size == Interrupted)
            {
                continue;
            }

            if (size <= 0)
            {
                return Array.Empty<string>();
            }

            var buffer = new byte[size];
            long length;
            fixed (byte* p = buffer)
            {
                length = SizeOrExpected(LibC.Flistxattr(fd, p, (nuint)buffer.Length), "flistxattr", path, ERANGE);
            }

            if (length < 0)
            {
                continue; // an attribute was added since the size query (or EINTR)
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
            long size = SizeOrExpected(LibC.Fgetxattr(fd, name, null, 0), "fgetxattr", path, ENODATA);
            if (size == Interrupted)
            {
                continue;
            }

            if (size < 0)
            {
                return null;
            }

            var value = new byte[size];
            long length;
            fixed (byte* p = value)
            {
                length = SizeOrExpected(LibC.Fgetxattr(fd, name, p, (nuint)value.Length), "fgetxattr", path, ERANGE);
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
            while (LibC.Fsetxattr(fd, name, p, (nuint)value.Length, 0) != 0)
            {
                ThrowUnlessInterrupted("fsetxattr", path);
            }
        }
    }

    /// <summary>Removes an attribute from the file; false when it had none (or the file system keeps none).</summary>
    internal static bool RemoveExtendedAttribute(SafeHandle handle, string name, string? path = null)
    {
        using var lease = new FdLease(handle);
        while (LibC.Fremovexattr(lease.Fd, name) != 0)
        {
            int errno = LastErrno;
            if (errno is ENODATA or Errno.EOPNOTSUPP)
            {
                return false;
            }

            ThrowUnlessInterrupted("fremovexattr", path);
        }

        return true;
    }

    /// <summary>A size query's answer: the size, -1 for <paramref name="expectedErrno"/> (the size
    /// changed, the attribute vanished, no attributes here), <see cref="Interrupted"/> for EINTR.</summary>
    private static long SizeOrExpected(nint result, string syscall, string? path, int expectedErrno)
    {
        if (result >= 0)
        {
            return result;
        }

        int errno = LastErrno;
        if (errno == Errno.EINTR)
        {
            return Interrupted;
        }

        if (errno == expectedErrno)
        {
            return -1;
        }

        throw new SpliceException(errno, syscall, path);
    }
}
