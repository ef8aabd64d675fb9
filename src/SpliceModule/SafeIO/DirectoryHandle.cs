using System;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// A directory held open by descriptor. Children are opened and made relative to it, never by a
/// whole path, so that a directory renamed or replaced by a symbolic link after it was opened
/// cannot redirect what is written below it. <see cref="Path"/> is for messages only.
/// </summary>
internal sealed class DirectoryHandle : IDisposable
{
    private const int OpenFlags = Flags.O_RDONLY | Flags.O_DIRECTORY | Flags.O_NOCTTY;
    /// <summary>The mode a directory this module makes has until it is complete.</summary>
    internal const int PrivateMode = 0b111_000_000;
    private const int GroupAndOtherBits = 0b000_111_111;

    private DirectoryHandle(SafeFileHandle handle, string path, FileStatus status, bool created, bool unseen)
    {
        Handle = handle;
        Path = path;
        Status = status;
        CreatedByThisCopy = created;
        Unseen = unseen;
    }

    public SafeFileHandle Handle { get; }

    public string Path { get; }

    public FileStatus Status { get; }

    /// <summary>This copy made the directory and found it empty and private (0700, its own):
    /// nobody else can have put anything in it, so names inside need no look before writing.</summary>
    public bool CreatedByThisCopy { get; }

    /// <summary>This copy made it, and made it (or one above it) under a hidden name that takes the
    /// real name only when the copy ends (<see cref="MakeHiddenChild"/>): nothing in it can be seen
    /// at its final path before then, so a new file may be made at its own name at once.</summary>
    public bool Unseen { get; }

    /// <summary>Opens a directory the user named; symbolic links on the way are followed, as every
    /// tool follows them in a path it was given.</summary>
    public static DirectoryHandle Open(string path)
    {
        var handle = Sys.Open(path, OpenFlags);
        return Wrap(handle, path, created: false);
    }

    /// <summary>Null and the errno where <paramref name="path"/> cannot be opened as a directory.</summary>
    public static DirectoryHandle? TryOpen(string path, out int errno) =>
        Sys.TryOpen(path, OpenFlags, out errno) is { } handle ? Wrap(handle, path, created: false) : null;

    public string PathOf(EntryName name) => name.In(Path);

    /// <summary>ENAMETOOLONG when <paramref name="path"/> (a child's) reaches PATH_MAX, else null. Descriptor-relative
    /// calls go deeper than any path can name; cp and rsync stop there, and so do walks and received
    /// trees: a tree nested thousands deep (a user's, or a hostile far host's frames) otherwise held
    /// a descriptor per level and gigabytes of paths.</summary>
    public static SpliceException? BeyondPathMax(string path) =>
        System.Text.Encoding.UTF8.GetByteCount(path) >= Flags.PATH_MAX ? new SpliceException(Errno.ENAMETOOLONG, "openat", path) : null;

    /// <summary>Opens a child directory; with <paramref name="followSymlink"/> false a symbolic
    /// link there is refused. With <paramref name="expected"/> the directory opened must be that one
    /// (the one a walk saw), else the source changed under the copy. <paramref name="path"/>: the
    /// caller's path of it, where it has made it already.</summary>
    public DirectoryHandle OpenChild(EntryName name, bool followSymlink, FileStatus? expected = null, string? path = null)
    {
        path ??= PathOf(name);
        SafeFileHandle handle;
        try
        {
            handle = Sys.OpenAt(Handle, name, OpenFlags | (followSymlink ? 0 : Flags.O_NOFOLLOW), 0, path);
        }
        catch (SpliceException e) when (e.Errno is Errno.ELOOP or Errno.ENOTDIR && expected is not null)
        {
            throw new SpliceRefusedException(Refusal.SourceChanged, $"'{path}' is no longer the directory that was listed (it was replaced while the copy ran); it was skipped.");
        }

        var child = Wrap(handle, path, created: false);
        if (expected is { } seen && !child.Status.IsSameFile(seen))
        {
            child.Dispose();
            throw new SpliceRefusedException(Refusal.SourceChanged, $"'{path}' is no longer the directory that was listed (it was replaced while the copy ran); it was skipped.");
        }

        return child;
    }

    /// <summary>The parent directory (.. of this one), for walking up to the root.</summary>
    public DirectoryHandle OpenParent() => Wrap(Sys.OpenAt(Handle, DotDot, OpenFlags, 0, Path + "/.."), Path + "/..", created: false);

    /// <summary>
    /// Makes a directory of the destination, or opens the one that stands there. A new directory
    /// is made 0700 and is only used once it is opened without following a link and found to be
    /// ours, private and empty: a directory swapped in between mkdirat and openat is refused.
    /// It gets its real mode when the copy of its contents ends (in every way).
    /// </summary>
    /// <param name="madeAlready">This copy made it a moment ago (<see cref="MakeChildEarly"/>): it is
    /// opened and checked as a new one.</param>
    /// <param name="madeEarlyAs">This copy made it earlier and checked it then: what is opened now
    /// must be that directory (it may hold what the copy made in it since).</param>
    public DirectoryHandle MakeOrOpenChild(EntryName name, string sourcePath, bool madeAlready = false, FileStatus? madeEarlyAs = null)
    {
        string path = PathOf(name);
        bool created = madeAlready || madeEarlyAs is not null || Sys.MakeDirectoryAt(Handle, name, PrivateMode, path);
        SafeFileHandle handle;
        try
        {
            handle = Sys.OpenAt(Handle, name, OpenFlags | Flags.O_NOFOLLOW, 0, path);
        }
        catch (SpliceException e) when (e.Errno is Errno.ELOOP or Errno.ENOTDIR)
        {
            bool isLink = Sys.TryStatAt(Handle, name, followSymlinks: false, path)?.Kind == FileKind.SymbolicLink;
            throw isLink
                ? new SpliceRefusedException(Refusal.DestinationIsSymlink, $"Cannot copy directory '{sourcePath}' to '{path}': a symbolic link stands there, and nothing is written through one.")
                : new SpliceRefusedException(Refusal.DirectoryOntoFile, $"Cannot copy directory '{sourcePath}' onto the existing file '{path}'.");
        }

        var child = Wrap(handle, path, created, unseen: created && Unseen);
        if (madeEarlyAs is { } early ? !child.Status.IsSameFile(early) : created && !child.IsFreshAndPrivate())
        {
            child.Dispose();
            throw new SpliceRefusedException(Refusal.DestinationChanged, $"The directory '{path}' that this copy made was replaced by another one before anything was written in it; it was skipped.");
        }

        return child;
    }

    /// <summary>
    /// Makes a new directory for the top of a tree copy under a hidden name beside
    /// <paramref name="name"/> ('.' + name + random bits + .splicetmp, 0700, checked ours, private
    /// and empty as <see cref="MakeOrOpenChild"/> checks), to be given its name by
    /// <see cref="PutInPlace"/> when the copy ends. Its <see cref="Path"/> is the final one (for
    /// messages) and it is <see cref="Unseen"/>, as is every directory this copy makes in it.
    /// </summary>
    public DirectoryHandle MakeHiddenChild(EntryName name, string sourcePath, out EntryName hidden)
    {
        do
        {
            hidden = TemporaryFile.HiddenNameFor(name);
        }
        while (!Sys.MakeDirectoryAt(Handle, hidden, PrivateMode, PathOf(name)));

        var made = MakeOrOpenChild(hidden, sourcePath, madeAlready: true);
        var child = new DirectoryHandle(made.Handle, PathOf(name), made.Status, created: true, unseen: true);
        return child;
    }

    /// <summary>Gives a directory from <see cref="MakeHiddenChild"/> its name, never over anything
    /// that stands there by now (false then).</summary>
    public bool PutInPlace(EntryName hidden, EntryName name) =>
        Sys.RenameNoReplaceAt(Handle, hidden, name, PathOf(hidden), PathOf(name));

    /// <summary>Makes a child directory (0700) ahead of its own task, so that the directories of a
    /// tree are made before their files are written (on ext4 that measured faster than filling each
    /// directory before making the next). True when this call made it;
    /// anything else (it exists, it fails) is left to <see cref="MakeOrOpenChild"/>, which checks
    /// and reports.</summary>
    public bool MakeChildEarly(EntryName name)
    {
        try
        {
            return Sys.MakeDirectoryAt(Handle, name, PrivateMode, PathOf(name));
        }
        catch (SpliceException)
        {
            return false;
        }
    }

    public void Dispose() => Handle.Dispose();

    private bool IsFreshAndPrivate() =>
        Status.Uid == Sys.EffectiveUid && (Status.Permissions & GroupAndOtherBits) == 0 && Sys.ReadDirectory(Handle, Path).Count == 0;

    private static readonly EntryName DotDot = EntryName.From("..");

    private static DirectoryHandle Wrap(SafeFileHandle handle, string path, bool created, bool unseen = false)
    {
        try
        {
            return new DirectoryHandle(handle, path, Sys.Stat(handle, path), created, unseen);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}
