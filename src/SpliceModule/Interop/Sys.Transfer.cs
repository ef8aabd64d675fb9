using System;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SpliceModule.Interop;

/// <summary>The calls that move bytes (splice, tee, vmsplice, copy_file_range, sendfile, FICLONE,
/// read, pread, write, pwrite, recv) and those that wait for or tune a stream (poll, socket options, lseek).</summary>
internal static unsafe partial class Sys
{
    internal static void Clone(SafeHandle source, SafeHandle destination, string? sourcePath = null, string? destinationPath = null)
    {
        if (TryClone(source, destination) is var errno and not 0)
        {
            throw new SpliceException(errno, "ioctl(FICLONE)", sourcePath, destinationPath);
        }
    }

    /// <summary>0, or the errno of a refused clone: most file systems refuse every one, and the
    /// copy falls back without the cost of a .NET exception per file.</summary>
    internal static int TryClone(SafeHandle source, SafeHandle destination)
    {
        using var src = new FdLease(source);
        using var dst = new FdLease(destination);
        while (LibC.Ioctl(dst.Fd, Flags.FICLONE, src.Fd) != 0)
        {
            int errno = LastErrno;
            if (errno != Errno.EINTR)
            {
                return errno;
            }
        }

        return 0;
    }

    internal static int BytesAvailable(SafeHandle handle, string? path = null)
    {
        using var lease = new FdLease(handle);
        int count = 0;
        if (LibC.Ioctl(lease.Fd, Flags.FIONREAD, (nint)(&count)) != 0)
        {
            throw new SpliceException(LastErrno, "ioctl(FIONREAD)", path);
        }

        return count;
    }

    internal static long Splice(SafeHandle input, long inputOffset, SafeHandle output, long outputOffset, long length, uint flags, string? sourcePath = null, string? destinationPath = null)
    {
        using var src = new FdLease(input);
        using var dst = new FdLease(output);
        long inOff = inputOffset, outOff = outputOffset;
        long* inPtr = inputOffset == CurrentPosition ? null : &inOff;
        long* outPtr = outputOffset == CurrentPosition ? null : &outOff;
        long result;
        do
        {
            result = Counted(LibC.Splice(src.Fd, inPtr, dst.Fd, outPtr, (nuint)length, flags), "splice", KernelFeature.Splice, sourcePath, destinationPath);
        }
        while (result == Interrupted);

        return result;
    }

    internal static long Tee(SafeHandle input, SafeHandle output, long length, uint flags, string? sourcePath = null, string? destinationPath = null)
    {
        using var src = new FdLease(input);
        using var dst = new FdLease(output);
        long result;
        do
        {
            result = Counted(LibC.Tee(src.Fd, dst.Fd, (nuint)length, flags), "tee", KernelFeature.Tee, sourcePath, destinationPath);
        }
        while (result == Interrupted);

        return result;
    }

    /// <summary>Maps <paramref name="length"/> bytes at <paramref name="memory"/> into a pipe.
    /// The memory must stay unchanged until a reader has drained the pipe.</summary>
    internal static long VmSplice(SafeHandle pipe, void* memory, long length, uint flags, string? path = null)
    {
        using var dst = new FdLease(pipe);
        var iov = new LibC.IoVec { Base = memory, Length = (nuint)length };
        long result;
        do
        {
            result = Counted(LibC.VmSplice(dst.Fd, &iov, 1, flags), "vmsplice", KernelFeature.VmSplice, null, path);
        }
        while (result == Interrupted);

        return result;
    }

    internal static long CopyFileRange(SafeHandle input, long inputOffset, SafeHandle output, long outputOffset, long length, string? sourcePath = null, string? destinationPath = null)
    {
        using var src = new FdLease(input);
        using var dst = new FdLease(output);
        long inOff = inputOffset, outOff = outputOffset;
        long* inPtr = inputOffset == CurrentPosition ? null : &inOff;
        long* outPtr = outputOffset == CurrentPosition ? null : &outOff;
        long result;
        do
        {
            result = Counted(LibC.CopyFileRange(src.Fd, inPtr, dst.Fd, outPtr, (nuint)length, 0), "copy_file_range", KernelFeature.CopyFileRange, sourcePath, destinationPath);
        }
        while (result == Interrupted);

        return result;
    }

    internal static long SendFile(SafeHandle output, SafeHandle input, long inputOffset, long length, string? sourcePath = null, string? destinationPath = null)
    {
        using var src = new FdLease(input);
        using var dst = new FdLease(output);
        long inOff = inputOffset;
        long* inPtr = inputOffset == CurrentPosition ? null : &inOff;
        long result;
        do
        {
            result = Counted(LibC.SendFile(dst.Fd, src.Fd, inPtr, (nuint)length), "sendfile", KernelFeature.SendFile, sourcePath, destinationPath);
        }
        while (result == Interrupted);

        return result;
    }

    /// <summary>lseek; for SEEK_DATA/SEEK_HOLE past the last data it returns -1 (ENXIO) instead of throwing.</summary>
    internal static long Seek(SafeHandle handle, long offset, int whence, string? path = null)
    {
        using var lease = new FdLease(handle);
        long result = LibC.Lseek(lease.Fd, offset, whence);
        if (result >= 0)
        {
            return result;
        }

        int errno = LastErrno;
        if (errno == Errno.ENXIO && (whence == Flags.SEEK_DATA || whence == Flags.SEEK_HOLE))
        {
            return -1;
        }

        throw new SpliceException(errno, "lseek", path);
    }

    internal static long Read(SafeHandle handle, Span<byte> buffer, string? path = null) => Read(handle, buffer, CurrentPosition, path);

    /// <summary>read(2) from the descriptor's position, or pread(2) at <paramref name="offset"/>,
    /// which leaves the position where it is.</summary>
    internal static long Read(SafeHandle handle, Span<byte> buffer, long offset, string? path = null)
    {
        using var lease = new FdLease(handle);
        fixed (byte* bytes = buffer)
        {
            long result;
            do
            {
                result = offset == CurrentPosition
                    ? Counted(LibC.Read(lease.Fd, bytes, (nuint)buffer.Length), "read", null, path, null)
                    : Counted(LibC.Pread(lease.Fd, bytes, (nuint)buffer.Length, offset), "pread", null, path, null);
            }
            while (result == Interrupted);

            return result;
        }
    }

    /// <summary>recv(2) with MSG_DONTWAIT: reads a socket without ever blocking, whatever its own mode;
    /// <see cref="WouldBlock"/> when nothing is there.</summary>
    internal static long ReceiveWithoutWaiting(SafeHandle socket, Span<byte> buffer, string? path = null)
    {
        using var lease = new FdLease(socket);
        fixed (byte* bytes = buffer)
        {
            long result;
            do
            {
                result = Counted(LibC.Recv(lease.Fd, bytes, (nuint)buffer.Length, Flags.MSG_DONTWAIT), "recv", null, path, null);
            }
            while (result == Interrupted);

            return result;
        }
    }

    internal static long Write(SafeHandle handle, ReadOnlySpan<byte> buffer, string? path = null) => Write(handle, buffer, CurrentPosition, path);

    /// <summary>write(2) at the descriptor's position, or pwrite(2) at <paramref name="offset"/>,
    /// which leaves the position where it is. (On Linux a descriptor opened with O_APPEND appends
    /// whatever the offset: callers refuse an offset there.)</summary>
    internal static long Write(SafeHandle handle, ReadOnlySpan<byte> buffer, long offset, string? path = null)
    {
        using var lease = new FdLease(handle);
        fixed (byte* bytes = buffer)
        {
            long result;
            do
            {
                result = offset == CurrentPosition
                    ? Counted(LibC.Write(lease.Fd, bytes, (nuint)buffer.Length), "write", null, null, path)
                    : Counted(LibC.Pwrite(lease.Fd, bytes, (nuint)buffer.Length, offset), "pwrite", null, null, path);
            }
            while (result == Interrupted);

            return result;
        }
    }

    /// <summary>An integer socket option (getsockopt(2)).</summary>
    internal static int GetSocketOption(SafeHandle socket, int level, int name, string? path = null)
    {
        using var lease = new FdLease(socket);
        int value = 0;
        uint length = sizeof(int);
        while (LibC.GetSockOpt(lease.Fd, level, name, &value, &length) != 0)
        {
            ThrowUnlessInterrupted("getsockopt", path);
        }

        return value;
    }

    internal static void SetSocketOption(SafeHandle socket, int level, int name, int value, string? path = null)
    {
        using var lease = new FdLease(socket);
        while (LibC.SetSockOpt(lease.Fd, level, name, &value, sizeof(int)) != 0)
        {
            ThrowUnlessInterrupted("setsockopt", path);
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for <paramref name="events"/>; returns the events
    /// that happened (0 on time-out or a signal, so callers simply poll again).</summary>
    internal static short Poll(SafeHandle handle, short events, int timeoutMs, string? path = null)
    {
        using var lease = new FdLease(handle);
        var pfd = new LibC.PollFd { Fd = lease.Fd, Events = events };
        int result = LibC.Poll(&pfd, 1, timeoutMs);
        if (result < 0)
        {
            int errno = LastErrno;
            if (errno == Errno.EINTR)
            {
                return 0;
            }

            throw new SpliceException(errno, "poll", path);
        }

        return result == 0 ? (short)0 : pfd.Revents;
    }
}
