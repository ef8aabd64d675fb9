using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Opens what Open-SpliceDescriptor -Path names: files, FIFOs and devices (sockets by URI are
/// <see cref="SocketOpener"/>'s). Nothing here blocks beyond a 200 ms slice: a FIFO without a peer
/// is waited for with Ctrl+C and the time-out honoured.
/// </summary>
internal static class DescriptorOpener
{
    /// <summary>Opens <paramref name="path"/> as shell redirection would (following symlinks; Write
    /// truncates a regular file). open(2) is always called with O_NONBLOCK, so that it never blocks,
    /// whatever the path turns out to be when it is opened (a FIFO swapped in after a look by path
    /// would block a blocking open until its other end appears, beyond Ctrl+C); what was opened is
    /// then checked by fstat, and only then is O_NONBLOCK cleared, unless <paramref name="nonBlocking"/>.</summary>
    public static SpliceDescriptor OpenPath(string path, DescriptorAccess access, bool create, bool nonBlocking, ReadinessWait wait)
    {
        RequireNoNul(path);
        int flags = access switch
        {
            DescriptorAccess.Read => Flags.O_RDONLY,
            DescriptorAccess.Write => Flags.O_WRONLY | Flags.O_TRUNC,
            DescriptorAccess.Append => Flags.O_WRONLY | Flags.O_APPEND,
            _ => Flags.O_RDWR,
        } | Flags.O_NOCTTY;

        SafeFileHandle handle = OpenWithoutBlocking(path, flags, create, nonBlocking, wait);
        try
        {
            var kind = Sys.Stat(handle, path).Kind;
            switch (kind)
            {
                case FileKind.Directory:
                    throw IsDirectory(path);
                case FileKind.Socket:
                    throw IsSocket(path);
            }

            if (!nonBlocking)
            {
                Sys.SetNonBlocking(handle, false, path);
            }

            return new SpliceDescriptor(handle, path, kind, access);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>open(2) with O_NONBLOCK. ENXIO is a FIFO opened for writing without a reader (wait for
    /// one, as <see cref="OpenFifo"/> does), a socket file, or a device without its hardware. EAGAIN
    /// is a regular file leased by another process: the open has asked it to let go, so try again
    /// in slices, as a blocking open would have waited in the kernel.</summary>
    private static SafeFileHandle OpenWithoutBlocking(string path, int flags, bool create, bool nonBlocking, ReadinessWait wait)
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return Sys.Open(path, flags | Flags.O_NONBLOCK | (create ? Flags.O_CREAT : 0), 0b110_110_110);
            }
            catch (SpliceException e) when (e.Errno == Errno.ENXIO)
            {
                switch (Sys.TryStat(path)?.Kind)
                {
                    case FileKind.Fifo:
                        // The FIFO exists: never O_CREAT in the wait (OpenFifo gives no mode).
                        return OpenFifo(path, flags, nonBlocking: true, nonBlocking ? null : wait);
                    case FileKind.Socket:
                        throw IsSocket(path);
                    default:
                        throw;
                }
            }
            catch (SpliceException e) when (e.Errno == Errno.EAGAIN && !nonBlocking)
            {
                wait.Pause(started, $"Another process holds a lease on '{path}' and did not release it");
            }
            catch (SpliceException e) when (e.Errno == Errno.EISDIR)
            {
                throw Sys.TryStat(path) is null && path.EndsWith('/')
                    ? SpliceException.NoDirectoryForSlash(path, somethingElseThere: Sys.TryStat(path.TrimEnd('/'), followSymlinks: false) is not null)
                    : IsDirectory(path);
            }
            catch (SpliceException e) when (e.Errno == Errno.ENOENT && !create)
            {
                throw new SpliceException(Errno.ENOENT, "open", path, detail: "Use -Create to make a new file.");
            }
        }
    }

    /// <summary>open(2) takes a C string: what follows a NUL would be dropped, and another file
    /// opened (for Write, truncated) than the one named.</summary>
    public static void RequireNoNul(string path)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new SpliceRefusedException(Refusal.InvalidPath, $"The path '{path.Replace('\0', '?')}' contains a NUL character, which no Linux path can; the kernel would see only '{path[..path.IndexOf('\0', StringComparison.Ordinal)]}'.");
        }
    }

    private static SpliceRefusedException IsDirectory(string path) =>
        new(Refusal.PathIsDirectory, $"'{path}' is a directory; open a file, FIFO or device.");

    private static SpliceRefusedException IsSocket(string path) =>
        new(Refusal.PathIsSocket, $"'{path}' is a Unix-domain socket; connect to it with -Uri unix://{path}.");

    /// <summary>A FIFO opened for reading never blocks with O_NONBLOCK, and one opened for writing
    /// without a reader fails with ENXIO instead of blocking; so open non-blocking, wait for a
    /// reader (unless <paramref name="waitForReader"/> is null: then a missing reader is an error),
    /// and then give the descriptor the blocking mode the caller asked for.</summary>
    private static SafeFileHandle OpenFifo(string path, int flags, bool nonBlocking, ReadinessWait? waitForReader)
    {
        SafeFileHandle handle;
        if (waitForReader is null)
        {
            try
            {
                handle = Sys.Open(path, flags | Flags.O_NONBLOCK);
            }
            catch (SpliceException e) when (e.Errno == Errno.ENXIO)
            {
                throw new SpliceRefusedException(Refusal.NoReader, $"The FIFO '{path}' has no reader, and -NonBlocking does not wait for one.");
            }
        }
        else
        {
            handle = waitForReader.OpenWhenFifoHasReader(() => Sys.Open(path, flags | Flags.O_NONBLOCK), path);
        }

        if (!nonBlocking)
        {
            Sys.SetNonBlocking(handle, false, path);
        }

        return handle;
    }

}
