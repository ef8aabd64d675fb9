using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Opens what Open-SpliceDescriptor names: files, FIFOs and devices by path, TCP and Unix-domain
/// stream sockets by URI. Nothing here blocks beyond a 200 ms slice: a FIFO without a peer and a
/// socket that has not connected yet are waited for with Ctrl+C and the time-out honoured.
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
                throw IsDirectory(path);
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
            throw new TransferRefusedException(TransferRefusal.InvalidPath, $"The path '{path.Replace('\0', '?')}' contains a NUL character, which no Linux path can; the kernel would see only '{path[..path.IndexOf('\0', StringComparison.Ordinal)]}'.");
        }
    }

    private static TransferRefusedException IsDirectory(string path) =>
        new(TransferRefusal.PathIsDirectory, $"'{path}' is a directory; open a file, FIFO or device.");

    private static TransferRefusedException IsSocket(string path) =>
        new(TransferRefusal.PathIsSocket, $"'{path}' is a Unix-domain socket; connect to it with -Uri unix://{path}.");

    /// <summary>A FIFO opened for reading never blocks with O_NONBLOCK, and one opened for writing
    /// without a reader fails with ENXIO instead of blocking; so open non-blocking, wait for a
    /// reader in slices (unless <paramref name="waitForReader"/> is null: then a missing reader is
    /// an error), and then give the descriptor the blocking mode the caller asked for.</summary>
    public static SafeFileHandle OpenFifo(string path, int flags, bool nonBlocking, ReadinessWait? waitForReader)
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                var handle = Sys.Open(path, flags | Flags.O_NONBLOCK);
                if (!nonBlocking)
                {
                    Sys.SetNonBlocking(handle, false, path);
                }

                return handle;
            }
            catch (SpliceException e) when (e.Errno == Errno.ENXIO)
            {
                if (waitForReader is null)
                {
                    throw new TransferRefusedException(TransferRefusal.NoReader, $"The FIFO '{path}' has no reader, and -NonBlocking does not wait for one.");
                }

                waitForReader.Pause(started, $"No process opened the FIFO '{path}' for reading");
            }
        }
    }

    /// <summary>The longest Unix-domain socket path the kernel takes: sun_path holds 108 bytes,
    /// including the terminating NUL.</summary>
    internal const int MaxSocketPathBytes = 107;

    /// <summary>Connects to tcp://host:port or unix:///path, or with <paramref name="listen"/> waits for
    /// one peer to connect there. The socket is made non-blocking: the engine waits with poll.
    /// A relative unix: path (unix:name, unix:./dir/name) is turned into an absolute one by
    /// <paramref name="resolveRelativePath"/> (the cmdlet resolves it against PowerShell's location,
    /// which the process's working directory need not be); without it, relative paths are refused.</summary>
    public static SpliceDescriptor OpenSocket(Uri uri, bool listen, ReadinessWait wait, Func<string, string>? resolveRelativePath = null)
    {
        string display = uri.OriginalString;
        using var deadline = wait.LinkedWithTimeout();
        Socket? socket = null;
        try
        {
            EndPoint endPoint;
            (endPoint, display) = EndPointOf(uri, resolveRelativePath, deadline.Token);
            socket = listen ? Accept(endPoint, deadline.Token) : Connect(endPoint, deadline.Token);
            socket.Blocking = false;
            return new SpliceDescriptor(socket.SafeHandle, display, FileKind.Socket, DescriptorAccess.ReadWrite, new GracefulClose(socket));
        }
        catch (OperationCanceledException) when (!wait.Cancellation.IsCancellationRequested)
        {
            socket?.Dispose();
            throw wait.Expired(listen ? $"No peer connected to {display}" : $"Could not connect to {display}");
        }
        catch
        {
            socket?.Dispose();
            throw;
        }
    }

    private static Socket Connect(EndPoint endPoint, System.Threading.CancellationToken cancellation)
    {
        var socket = NewSocket(endPoint);
        try
        {
            socket.ConnectAsync(endPoint, cancellation).AsTask().GetAwaiter().GetResult();
            return socket;
        }
        catch (SocketException e) when (endPoint is UnixDomainSocketEndPoint unix && e.SocketErrorCode == SocketError.AddressNotAvailable && Sys.TryStat(unix.ToString()) is null)
        {
            // connect(2) says ENOENT, which .NET words as "Cannot assign requested address".
            socket.Dispose();
            throw new SocketException((int)e.SocketErrorCode, $"No socket file exists at '{unix}' to connect to (ENOENT).");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket Accept(EndPoint endPoint, System.Threading.CancellationToken cancellation)
    {
        using var listener = NewSocket(endPoint);
        if (endPoint is IPEndPoint)
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }

        try
        {
            listener.Bind(endPoint);
        }
        catch (SocketException e) when (endPoint is UnixDomainSocketEndPoint unix && e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new SocketException((int)e.SocketErrorCode, $"Cannot listen at '{unix}': something already exists there (a socket file stays until it is removed). Remove it or choose another path.");
        }
        catch (SocketException e) when (endPoint is UnixDomainSocketEndPoint unix && e.SocketErrorCode == SocketError.AddressNotAvailable
            && System.IO.Path.GetDirectoryName(unix.ToString()) is { Length: > 0 } directory && Sys.TryStat(directory)?.Kind != FileKind.Directory)
        {
            // bind(2) says ENOENT, which .NET words as "Cannot assign requested address".
            throw new SocketException((int)e.SocketErrorCode, $"Cannot listen at '{unix}': the directory '{directory}' does not exist (ENOENT).");
        }

        try
        {
            listener.Listen(1);
            return listener.AcceptAsync(cancellation).AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            // The listening socket's file is ours and useless once the one peer is in.
            if (endPoint is UnixDomainSocketEndPoint unix)
            {
                Sys.Unlink(unix.ToString());
            }
        }
    }

    private static Socket NewSocket(EndPoint endPoint) => endPoint is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);

    private static (EndPoint EndPoint, string Display) EndPointOf(Uri uri, Func<string, string>? resolveRelativePath, System.Threading.CancellationToken cancellation)
    {
        // PowerShell turns a string without a scheme ('name.sock', '/run/x.sock') into a relative
        // Uri, whose Scheme throws.
        if (!uri.IsAbsoluteUri)
        {
            throw new TransferRefusedException(TransferRefusal.UnsupportedUri, $"'{uri.OriginalString}' is not a tcp://host:port or unix: URI; for a socket file write unix:///absolute/path or unix:relative/path.");
        }

        if (uri.Scheme.Equals("unix", StringComparison.OrdinalIgnoreCase))
        {
            string path = UnixSocketPath(uri, resolveRelativePath);
            return (new UnixDomainSocketEndPoint(path), "unix://" + path);
        }

        if (uri.Scheme.Equals("tcp", StringComparison.OrdinalIgnoreCase))
        {
            if (uri.Port <= 0 || string.IsNullOrEmpty(uri.Host))
            {
                throw new TransferRefusedException(TransferRefusal.UnsupportedUri, $"'{uri.OriginalString}' needs a host and a port: tcp://host:port.");
            }

            return (new IPEndPoint(AddressOf(uri.DnsSafeHost, cancellation), uri.Port), $"tcp://{uri.Authority}");
        }

        throw new TransferRefusedException(TransferRefusal.UnsupportedUri, $"'{uri.OriginalString}' is not a tcp://host:port or unix:///path URI.");
    }

    /// <summary>The socket file a unix: URI names: unix:///absolute/path, or unix:relative/path made
    /// absolute by <paramref name="resolveRelativePath"/>; refused when the kernel could not take it.</summary>
    private static string UnixSocketPath(Uri uri, Func<string, string>? resolveRelativePath)
    {
        if (!string.IsNullOrEmpty(uri.Host))
        {
            throw new TransferRefusedException(TransferRefusal.UnsupportedUri, $"'{uri.OriginalString}' puts '{uri.Host}' where a URI has its host; write unix:///absolute/path, or unix:relative/path for a path relative to the current location.");
        }

        string path = Uri.UnescapeDataString(uri.AbsolutePath);
        if (path.Length == 0 || path == "/")
        {
            throw new TransferRefusedException(TransferRefusal.UnsupportedUri, $"'{uri.OriginalString}' names no socket path; write unix:///path/to/socket.");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            // The kernel would cut the path at the NUL and use another socket (or an abstract one).
            throw new TransferRefusedException(TransferRefusal.UnsupportedUri, $"'{uri.OriginalString}' has a NUL byte in its socket path; socket paths cannot contain one, and abstract sockets are not supported.");
        }

        if (!path.StartsWith('/'))
        {
            path = resolveRelativePath?.Invoke(path)
                ?? throw new TransferRefusedException(TransferRefusal.UnsupportedUri, $"'{uri.OriginalString}' names a relative socket path; write unix:///absolute/path.");
        }

        int bytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxSocketPathBytes)
        {
            throw new TransferRefusedException(TransferRefusal.SocketPathTooLong, $"The socket path '{path}' is {bytes} bytes long (UTF-8); the kernel takes at most {MaxSocketPathBytes} bytes (sun_path holds {MaxSocketPathBytes + 1} with the closing NUL). Use a shorter path, for example in /tmp or /run.");
        }

        return path;
    }

    /// <summary>A literal address, or the first IPv4 (else any) address the name resolves to; the
    /// look-up honours Ctrl+C and the time-out (a slow resolver must not hang the session).</summary>
    private static IPAddress AddressOf(string host, System.Threading.CancellationToken cancellation)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return literal;
        }

        var addresses = Dns.GetHostAddressesAsync(host, cancellation).GetAwaiter().GetResult();
        return Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? (addresses.Length > 0 ? addresses[0] : throw new SocketException((int)SocketError.HostNotFound));
    }

    /// <summary>Closing a socket sends what is queued and then FIN: shut down sending first, so that
    /// .NET never turns the close into a reset, then release the socket.</summary>
    private sealed class GracefulClose : IDisposable
    {
        private readonly Socket _socket;

        public GracefulClose(Socket socket) => _socket = socket;

        public void Dispose()
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already reset by the peer or closed: nothing left to send.
            }

            _socket.Dispose();
        }
    }
}
