using System;
using System.IO;
using System.Runtime.InteropServices;

namespace SpliceModule;

/// <summary>
/// The one exception type the engine throws for a failed system call. Scripts match on
/// <see cref="ErrnoName"/> (for example ENOSPC); the message names the call and the path(s).
/// </summary>
public sealed class SpliceException : IOException
{
    public SpliceException(int errno, string syscall, string? path = null, string? destinationPath = null, string? detail = null)
        : base(Compose(errno, syscall, path, destinationPath, detail))
    {
        Errno = errno;
        ErrnoName = Interop.Errno.NameOf(errno);
        Syscall = syscall;
        Path = path;
        DestinationPath = destinationPath;
        HResult = errno;
    }

    public int Errno { get; }

    /// <summary>What a file asked for at "name/" is when no directory stands at the name: a trailing
    /// slash asks for a directory, as it does to open(2) and cp, so nothing is made there and the
    /// file that stands there is not replaced (for O_CREAT the kernel says EISDIR either way).</summary>
    internal static SpliceException NoDirectoryForSlash(string path, bool somethingElseThere) => somethingElseThere
        ? new(Interop.Errno.ENOTDIR, "open", path, detail: "A path ending in '/' names a directory.")
        : new(Interop.Errno.ENOENT, "open", path, detail: "A path ending in '/' names a directory, and there is none.");

    public string ErrnoName { get; }

    public string Syscall { get; }

    public string? Path { get; }

    public string? DestinationPath { get; }

    private static string Compose(int errno, string syscall, string? path, string? destinationPath, string? detail)
    {
        var where = (path, destinationPath) switch
        {
            (null, null) => string.Empty,
            (not null, null) => $" on '{path}'",
            (null, not null) => $" on '{destinationPath}'",
            _ => $" from '{path}' to '{destinationPath}'",
        };
        var text = $"{syscall}{where} failed: {Marshal.GetPInvokeErrorMessage(errno)} ({Interop.Errno.NameOf(errno)}).";
        return detail is null ? text : text + " " + detail;
    }
}
