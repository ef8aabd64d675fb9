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
/// that returns a count goes through <see cref="Counted"/>.
/// </summary>
internal static unsafe partial class Sys
{
    /// <summary>Returned instead of a count when a non-blocking call got EAGAIN.</summary>
    internal const long WouldBlock = -1;

    /// <summary>What <see cref="Counted"/> gives for EINTR: the caller makes the call again.</summary>
    private const long Interrupted = -2;

    /// <summary>Passed as an offset: use and advance the descriptor's own file position.</summary>
    internal const long CurrentPosition = -1;

    private static int LastErrno => Marshal.GetLastPInvokeError();

    internal static SafeFileHandle Open(string path, int flags, int mode = 0) =>
        TryOpen(path, flags, out int errno, mode) ?? throw new SpliceException(errno, "open", path);

    /// <summary>Null and the errno where the open fails, for callers to whom a failure is an
    /// answer (a destination that is not a directory yet): a .NET exception for each would cost
    /// more than the call.</summary>
    internal static SafeFileHandle? TryOpen(string path, int flags, out int errno, int mode = 0)
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
                errno = 0;
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            errno = LastErrno;
            if (errno != Errno.EINTR)
            {
                return null;
            }
        }
    }

    /// <summary>How many processors this process may run on (sched_getaffinity: taskset and a
    /// container's CPU set count); the runtime's count when the call fails.</summary>
    internal static int AllowedProcessors()
    {
        const int MaskBytes = 128; // 1024 processors
        byte* mask = stackalloc byte[MaskBytes];
        if (LibC.SchedGetAffinity(0, MaskBytes, mask) != 0)
        {
            return Math.Max(1, Environment.ProcessorCount);
        }

        int count = 0;
        for (int i = 0; i < MaskBytes; i++)
        {
            count += System.Numerics.BitOperations.PopCount(mask[i]);
        }

        return Math.Max(1, count);
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

    /// <summary>The one way a transfer sizes a pipe: grows it to at least <paramref name="bytes"/>
    /// where the kernel allows and returns the capacity it has then. The kernel rounds up to a
    /// power-of-two number of pages; it refuses unprivileged processes (no CAP_SYS_RESOURCE) more
    /// than /proc/sys/fs/pipe-max-size or past the per-user limits (EPERM), and may lack the memory
    /// (ENOMEM): then the pipe keeps the size it had, and the transfer moves in smaller steps. A
    /// pipe is never shrunk (that could fail with EBUSY while it holds data).</summary>
    internal static int GrowPipe(SafeHandle pipe, int bytes, string? path = null)
    {
        int current = Fcntl(pipe, Flags.F_GETPIPE_SZ, 0, path);
        if (current >= bytes)
        {
            return current;
        }

        try
        {
            return Fcntl(pipe, Flags.F_SETPIPE_SZ, bytes, path);
        }
        catch (SpliceException e) when (e.Errno is Errno.EPERM or Errno.ENOMEM)
        {
            return current;
        }
    }

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

    private static void ThrowUnlessInterrupted(string syscall, string? path, string? destinationPath = null)
    {
        int errno = LastErrno;
        if (errno != Errno.EINTR)
        {
            throw new SpliceException(errno, syscall, path, destinationPath);
        }
    }

    /// <summary>The errno mapping of a counting call: its return value becomes the count it moved,
    /// <see cref="WouldBlock"/> (EAGAIN), <see cref="Interrupted"/> (EINTR: call again), or an exception. Every counting call
    /// is <c>do { r = Counted(call) } while (r == Interrupted)</c>, with no delegate: some run once
    /// per 16 KiB slice.</summary>
    private static long Counted(nint result, string syscall, KernelFeature? feature, string? sourcePath, string? destinationPath)
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
}
