using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Opens what a copy reads. Always O_NONBLOCK, so a FIFO swapped in for a file between a look and
/// the open can never block in open(2) (Ctrl+C could not end it); then fstat decides what it is.
/// Inside a tree, a source is opened relative to its held directory, never through a symbolic
/// link unless links are followed, and must be the file the walk saw.
/// </summary>
internal static class SourceFile
{
    private const int ReadFlags = Flags.O_RDONLY | Flags.O_NOCTTY | Flags.O_NONBLOCK;

    /// <summary>A source named by the user (symbolic links followed, as Copy-Item and cp follow a
    /// named source); a directory or socket is refused. Only a FIFO stays non-blocking: the
    /// engine waits on it with poll.</summary>
    /// <param name="directoryAdvice">What to tell a user who named a directory.</param>
    public static (SafeFileHandle Handle, FileStatus Status) OpenNamed(string path, string directoryAdvice = "use -Recurse to copy a directory tree")
    {
        SafeFileHandle handle;
        try
        {
            handle = Sys.Open(path, ReadFlags);
        }
        catch (SpliceException e) when (e.Errno == Errno.ENXIO && Sys.TryStat(path)?.Kind == FileKind.Socket)
        {
            throw SocketRefused(path);
        }

        try
        {
            var status = Sys.Stat(handle, path);
            RefuseUnsupported(status, path, directoryAdvice);
            if (status.Kind != FileKind.Fifo)
            {
                Sys.SetNonBlocking(handle, false, path);
            }

            return (handle, status);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A file of a walked tree, which must still be the one the walk saw (<paramref name="expected"/>).</summary>
    public static SafeFileHandle OpenInTree(DirectoryHandle directory, EntryName name, in FileStatus expected, bool followSymlink) =>
        OpenInTree(directory, name, expected, followSymlink, out _);

    /// <summary>The same, with what the opened file is now (its size and times as of the open).
    /// <paramref name="path"/>: the caller's path of the file, for messages, where it has made it already.</summary>
    public static SafeFileHandle OpenInTree(DirectoryHandle directory, EntryName name, in FileStatus expected, bool followSymlink, out FileStatus opened, string? path = null)
    {
        path ??= directory.PathOf(name);
        SafeFileHandle handle;
        try
        {
            handle = Sys.OpenAt(directory.Handle, name, ReadFlags | (followSymlink ? 0 : Flags.O_NOFOLLOW), 0, path);
        }
        catch (SpliceException e) when (e.Errno is Errno.ELOOP or Errno.ENXIO)
        {
            throw Changed(path);
        }

        opened = Sys.Stat(handle, path);
        if (!opened.IsSameFile(expected) || opened.Kind != expected.Kind)
        {
            handle.Dispose();
            throw Changed(path);
        }

        return handle;
    }

    private static void RefuseUnsupported(in FileStatus status, string path, string directoryAdvice)
    {
        switch (status.Kind)
        {
            case FileKind.Directory:
                throw new SpliceRefusedException(Refusal.SourceIsDirectory, $"'{path}' is a directory; {directoryAdvice}.");
            case FileKind.Socket:
                throw SocketRefused(path);
        }
    }

    private static SpliceRefusedException SocketRefused(string path) =>
        new(Refusal.SourceIsSocket, $"'{path}' is a socket, which has no content to copy; connect to it with Open-SpliceDescriptor -Uri unix://{path}.");

    private static SpliceRefusedException Changed(string path) =>
        new(Refusal.SourceChanged, $"'{path}' is no longer the file that was listed (it was replaced while the copy ran); it was not copied.");
}
