using System;
using System.Net.Sockets;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// The file a listening Unix-domain socket makes, bound through the held descriptor of its
/// directory (/proc/self/fd/N/name, so that a directory swapped meanwhile cannot move it) and
/// removed once the peer is in only if the name still holds that socket (same inode), relative to
/// that descriptor: never another file that took the name, never by path.
/// </summary>
internal sealed class UnixSocketFile : IDisposable
{
    private readonly DirectoryHandle? _directory;
    private readonly EntryName _name;
    private readonly string _path;
    private FileStatus? _bound;

    public UnixSocketFile(UnixDomainSocketEndPoint endPoint)
    {
        _path = endPoint.ToString()!;
        string name = System.IO.Path.GetFileName(_path);
        _name = EntryName.From(name);
        try
        {
            _directory = name.Length == 0 ? null : DirectoryHandle.Open(System.IO.Path.GetDirectoryName(_path) is { Length: > 0 } parent ? parent : ".");
        }
        catch (SpliceException)
        {
            _directory = null; // bind(2) of the path fails the same way and is reported as such
        }
    }

    /// <summary>Binds the listener at the path; what was made there is remembered for <see cref="Dispose"/>.</summary>
    public void Bind(Socket listener)
    {
        if (_directory is null)
        {
            listener.Bind(new UnixDomainSocketEndPoint(_path));
            return;
        }

        using (var lease = new FdLease(_directory.Handle))
        {
            string throughDirectory = $"/proc/self/fd/{lease.Fd}/{_name}";
            bool fits = System.Text.Encoding.UTF8.GetByteCount(throughDirectory) <= SocketOpener.MaxSocketPathBytes;
            listener.Bind(new UnixDomainSocketEndPoint(fits ? throughDirectory : _path));
        }

        _bound = Sys.TryStatIn(_directory.Handle, _directory.Path, _name, followSymlinks: false) is { Kind: FileKind.Socket } made ? made : null;
    }

    /// <summary>Removes the socket file if the name still holds the socket this listener made.</summary>
    public void Dispose()
    {
        try
        {
            if (_directory is not null && _bound is { } bound
                && Sys.TryStatIn(_directory.Handle, _directory.Path, _name, followSymlinks: false) is { } now && now.IsSameFile(bound))
            {
                Sys.UnlinkAt(_directory.Handle, _name, isDirectory: false, _path);
            }
        }
        catch (SpliceException)
        {
            // Left in place: the file is useless, and removing it is a courtesy.
        }
        finally
        {
            _directory?.Dispose();
        }
    }
}
