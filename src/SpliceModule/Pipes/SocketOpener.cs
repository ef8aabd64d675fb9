using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Opens what Open-SpliceDescriptor -Uri names: TCP and Unix-domain stream sockets, connected or
/// listening for one peer. Nothing here blocks beyond Ctrl+C and the time-out: connecting,
/// accepting and host look-ups are waited on with cancellation.
/// </summary>
internal static class SocketOpener
{
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
        using var socketFile = endPoint is UnixDomainSocketEndPoint unixEndPoint ? new UnixSocketFile(unixEndPoint) : null;
        if (endPoint is IPEndPoint)
        {
            // SO_REUSEADDR alone (a port in TIME_WAIT may be bound again): .NET's ReuseAddress also
            // sets SO_REUSEPORT on Linux, which lets a second listener share a port that is in use.
            Sys.SetSocketOption(listener.SafeHandle, Flags.SOL_SOCKET, Flags.SO_REUSEADDR, 1);
        }

        try
        {
            if (socketFile is null)
            {
                listener.Bind(endPoint);
            }
            else
            {
                socketFile.Bind(listener);
            }
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

        // The listening socket's file is ours and useless once the one peer is in: socketFile
        // removes it on the way out, if it is still ours.
        listener.Listen(1);
        return listener.AcceptAsync(cancellation).AsTask().GetAwaiter().GetResult();
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
            throw new SpliceRefusedException(Refusal.UnsupportedUri, $"'{uri.OriginalString}' is not a tcp://host:port or unix: URI; for a socket file write unix:///absolute/path or unix:relative/path.");
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
                throw new SpliceRefusedException(Refusal.UnsupportedUri, $"'{uri.OriginalString}' needs a host and a port: tcp://host:port.");
            }

            return (new IPEndPoint(AddressOf(uri.DnsSafeHost, cancellation), uri.Port), $"tcp://{uri.Authority}");
        }

        throw new SpliceRefusedException(Refusal.UnsupportedUri, $"'{uri.OriginalString}' is not a tcp://host:port or unix:///path URI.");
    }

    /// <summary>The socket file a unix: URI names: unix:///absolute/path, or unix:relative/path made
    /// absolute by <paramref name="resolveRelativePath"/>; refused when the kernel could not take it.</summary>
    private static string UnixSocketPath(Uri uri, Func<string, string>? resolveRelativePath)
    {
        if (!string.IsNullOrEmpty(uri.Host))
        {
            throw new SpliceRefusedException(Refusal.UnsupportedUri, $"'{uri.OriginalString}' puts '{uri.Host}' where a URI has its host; write unix:///absolute/path, or unix:relative/path for a path relative to the current location.");
        }

        string path = Uri.UnescapeDataString(uri.AbsolutePath);
        if (path.Length == 0 || path == "/")
        {
            throw new SpliceRefusedException(Refusal.UnsupportedUri, $"'{uri.OriginalString}' names no socket path; write unix:///path/to/socket.");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            // The kernel would cut the path at the NUL and use another socket (or an abstract one).
            throw new SpliceRefusedException(Refusal.UnsupportedUri, $"'{uri.OriginalString}' has a NUL byte in its socket path; socket paths cannot contain one, and abstract sockets are not supported.");
        }

        if (!path.StartsWith('/'))
        {
            path = resolveRelativePath?.Invoke(path)
                ?? throw new SpliceRefusedException(Refusal.UnsupportedUri, $"'{uri.OriginalString}' names a relative socket path; write unix:///absolute/path.");
        }

        int bytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxSocketPathBytes)
        {
            throw new SpliceRefusedException(Refusal.SocketPathTooLong, $"The socket path '{path}' is {bytes} bytes long (UTF-8); the kernel takes at most {MaxSocketPathBytes} bytes (sun_path holds {MaxSocketPathBytes + 1} with the closing NUL). Use a shorter path, for example in /tmp or /run.");
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
