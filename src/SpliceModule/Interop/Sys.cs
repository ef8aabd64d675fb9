using System;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SpliceModule.Interop;

/// <summary>
/// The system calls as the engine uses them: SafeHandles in, counts out, EINTR retried, every
/// other failure a <see cref="SpliceException"/> naming the call and the paths. Calls that can
/// legitimately find nothing to do right now (a non-blocking pipe) return <see cref="WouldBlock"/>.
/// Two shapes, and no delegate on any call: a call that returns a status is
/// <c>while (call != 0) { [answer an expected errno;] ThrowUnlessInterrupted(...); }</c>, and a call
/// that returns a count goes through <see cref="Outcome"/>.
/// </summary>
internal static unsafe partial class Sys
{
    /// <summary>Returned instead of a count when a non-blocking call got EAGAIN.</summary>
    internal const long WouldBlock = -1;

    /// <summary>What <see cref="Outcome"/> gives for EINTR: the caller makes the call again.</summary>
    private const long Interrupted = -2;

    /// <summary>Passed as an offset: use and advance the descriptor's own file position.</summary>
    internal const long CurrentPosition = -1;

    private static int LastErrno => Marshal.GetLastPInvokeError();

    internal static SafeFileHandle Open(string path, int flags, int mode = 0)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new SpliceException(Errno.EINVAL, "open", path.Replace('\0', '?'), detail: "A path cannot contain a NUL character.");
        }

        while (true)
        {
            int fd = LibC.Open(path, flags | Flags.O_CLOEXEC, mode);
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            int errno = LastErrno;
            if (errno != Errno.EINTR)
            {
                throw new SpliceException(errno, "open", path);
            }
        }
    }

    /// <summary>An anonymous file in memory (memfd_create): scratch space that needs no writable
    /// directory and leaves nothing behind.</summary>
    internal static SafeFileHandle MemoryFile(string name)
    {
        int fd = LibC.MemfdCreate(name, Flags.MFD_CLOEXEC);
        if (fd < 0)
        {
            throw new SpliceException(LastErrno, "memfd_create", name);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    internal static (SafeFileHandle Read, SafeFileHandle Write) Pipe(bool nonBlocking)
    {
        int* fds = stackalloc int[2];
        int flags = Flags.O_CLOEXEC | (nonBlocking ? Flags.O_NONBLOCK : 0);
        if (LibC.Pipe2(fds, flags) != 0)
        {
            throw new SpliceException(LastErrno, "pipe2");
        }

        return (new SafeFileHandle(fds[0], true), new SafeFileHandle(fds[1], true));
    }

    internal static int Fcntl(SafeHandle handle, int command, int argument, string? path = null)
    {
        using var lease = new FdLease(handle);
        while (true)
        {
            int result = LibC.Fcntl(lease.Fd, command, argument);
            if (result >= 0)
            {
                return result;
            }

            int errno = LastErrno;
            if (errno != Errno.EINTR)
            {
                throw new SpliceException(errno, "fcntl", path);
            }
        }
    }

    internal static int GetPipeSize(SafeHandle pipe) => Fcntl(pipe, Flags.F_GETPIPE_SZ, 0);

    /// <summary>Asks for a capacity; returns what the kernel really gave (it rounds up to pages).</summary>
    internal static int SetPipeSize(SafeHandle pipe, int bytes) => Fcntl(pipe, Flags.F_SETPIPE_SZ, bytes);

    internal static void SetNonBlocking(SafeHandle handle, bool nonBlocking, string? path = null)
    {
        int flags = Fcntl(handle, Flags.F_GETFL, 0, path);
        int wanted = nonBlocking ? flags | Flags.O_NONBLOCK : flags & ~Flags.O_NONBLOCK;
        if (wanted != flags)
        {
            Fcntl(handle, Flags.F_SETFL, wanted, path);
        }
    }

    internal static int GetStatusFlags(SafeHandle handle, string? path = null) => Fcntl(handle, Flags.F_GETFL, 0, path);

    internal static void Clone(SafeHandle source, SafeHandle destination, string? sourcePath = null, string? destinationPath = null)
    {
        using var src = new FdLease(source);
        using var dst = new FdLease(destination);
        while (LibC.Ioctl(dst.Fd, Flags.FICLONE, src.Fd) != 0)
        {
            int errno = LastErrno;
            if (errno != Errno.EINTR)
            {
                throw new SpliceException(errno, "ioctl(FICLONE)", sourcePath, destinationPath);
            }
        }
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
            result = Outcome(LibC.Splice(src.Fd, inPtr, dst.Fd, outPtr, (nuint)length, flags), "splice", KernelFeature.Splice, sourcePath, destinationPath);
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
            result = Outcome(LibC.Tee(src.Fd, dst.Fd, (nuint)length, flags), "tee", KernelFeature.Tee, sourcePath, destinationPath);
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
            result = Outcome(LibC.VmSplice(dst.Fd, &iov, 1, flags), "vmsplice", KernelFeature.VmSplice, null, path);
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
            result = Outcome(LibC.CopyFileRange(src.Fd, inPtr, dst.Fd, outPtr, (nuint)length, 0), "copy_file_range", KernelFeature.CopyFileRange, sourcePath, destinationPath);
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
            result = Outcome(LibC.SendFile(dst.Fd, src.Fd, inPtr, (nuint)length), "sendfile", KernelFeature.SendFile, sourcePath, destinationPath);
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

    internal static long Read(SafeHandle handle, Span<byte> buffer, string? path = null)
    {
        using var lease = new FdLease(handle);
        fixed (byte* bytes = buffer)
        {
            long result;
            do
            {
                result = Outcome(LibC.Read(lease.Fd, bytes, (nuint)buffer.Length), "read", null, path, null);
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
                result = Outcome(LibC.Recv(lease.Fd, bytes, (nuint)buffer.Length, Flags.MSG_DONTWAIT), "recv", null, path, null);
            }
            while (result == Interrupted);

            return result;
        }
    }

    internal static long Write(SafeHandle handle, ReadOnlySpan<byte> buffer, string? path = null)
    {
        using var lease = new FdLease(handle);
        fixed (byte* bytes = buffer)
        {
            long result;
            do
            {
                result = Outcome(LibC.Write(lease.Fd, bytes, (nuint)buffer.Length), "write", null, null, path);
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

    internal static void Truncate(SafeHandle handle, long length, string? path = null)
    {
        using var lease = new FdLease(handle);
        int fd = lease.Fd;
        while (LibC.Ftruncate(fd, length) != 0)
        {
            ThrowUnlessInterrupted("ftruncate", path);
        }
    }

    /// <summary>Removes a file; a file that is already gone is not an error.</summary>
    internal static void Unlink(string path)
    {
        if (LibC.Unlink(path) != 0 && LastErrno != Errno.ENOENT)
        {
            throw new SpliceException(LastErrno, "unlink", path);
        }
    }

    /// <summary>Fresh private anonymous memory, page-aligned and already faulted in. Pages that
    /// vmsplice handed to a pipe stay alive after <see cref="UnmapMemory"/> for as long as the
    /// kernel still holds them, so unmapping (never reusing) keeps the pipe's bytes intact.
    /// Backed by a transparent huge page where the kernel offers one (THP "always" or "madvise"):
    /// one fault and one zeroing per region instead of 512, and vmsplice pins 1 MiB of a huge page
    /// in 10.7 µs against 18.2 µs for 256 base pages. Write-VmSplice -Pipe of 1 GiB in distinct
    /// blocks went from 0.40 s to 0.11 s, of a repeated block from 0.060 s to 0.050 s. Both
    /// madvise calls are hints; without them the pages fault in on first write.</summary>
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

    private static void ThrowUnlessInterrupted(string syscall, string? path, string? destinationPath = null)
    {
        int errno = LastErrno;
        if (errno != Errno.EINTR)
        {
            throw new SpliceException(errno, syscall, path, destinationPath);
        }
    }

    /// <summary>What a counting call's return value means: the count it moved, <see cref="WouldBlock"/>
    /// (EAGAIN), <see cref="Interrupted"/> (EINTR: call again), or an exception. Every counting call
    /// is <c>do { r = Outcome(call) } while (r == Interrupted)</c>, with no delegate: some run once
    /// per 16 KiB slice.</summary>
    private static long Outcome(nint result, string syscall, KernelFeature? feature, string? sourcePath, string? destinationPath)
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

        if (errno == Errno.EAGAIN)
        {
            return WouldBlock;
        }

        if (errno == Errno.ENOSYS && feature is { } unavailable)
        {
            KernelFeatures.MarkUnavailable(unavailable);
        }

        throw new SpliceException(errno, syscall, sourcePath, destinationPath);
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
