using System;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// One name that a copy writes, in a directory held open: the single place that decides what
/// may be done with what stands there. Nothing there: a new file. A regular file or a symbolic
/// link: replaced by a complete new file (a link is never written through, whatever it points
/// to). A FIFO or a device: written in place, opened without following a link and checked to be
/// the node that was seen. A directory, a socket, the source itself, or (without -Force) a
/// read-only file: refused before anything is written.
/// </summary>
internal sealed class DestinationSlot : IDisposable
{
    private const int AnyWriteBit = 0b010_010_010;
    private const int PrivateMode = MetadataCopier.PrivateFileMode;
    private const int InPlaceFlags = Flags.O_WRONLY | Flags.O_NOCTTY | Flags.O_NOFOLLOW | Flags.O_NONBLOCK;

    private readonly bool _ownsDirectory;

    private DestinationSlot(DirectoryHandle directory, bool ownsDirectory, EntryName name, string path, FileStatus? existing)
    {
        Directory = directory;
        _ownsDirectory = ownsDirectory;
        Name = name;
        Path = path;
        Existing = existing;
    }

    public DirectoryHandle Directory { get; }

    public EntryName Name { get; }

    /// <summary>The destination as the user knows it (never a temporary name).</summary>
    public string Path { get; }

    /// <summary>What stood at the name when the slot was resolved (a link as itself); null for nothing.</summary>
    public FileStatus? Existing { get; }

    /// <summary>A FIFO or device: rename cannot replace it, so it is written in place.</summary>
    public bool IsWrittenInPlace => Existing?.Kind is FileKind.Fifo or FileKind.CharacterDevice or FileKind.BlockDevice;

    /// <summary>The destination named by a whole path: its directory is opened (following links on the
    /// way, which the user named) and held; the last name is looked at without following a link.</summary>
    public static DestinationSlot Resolve(string path)
    {
        string trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        string name = System.IO.Path.GetFileName(trimmed);
        if (name.Length == 0 || name is "." or "..")
        {
            throw new SpliceRefusedException(Refusal.DestinationIsDirectory, $"Cannot write a file at '{path}': it names a directory.");
        }

        string parent = System.IO.Path.GetDirectoryName(trimmed) is { Length: > 0 } p ? p : ".";
        var directory = DirectoryHandle.Open(parent);
        try
        {
            var entry = EntryName.From(name);
            if (trimmed.Length != path.Length)
            {
                throw NotAFilePath(directory, entry, path);
            }

            return new DestinationSlot(directory, ownsDirectory: true, entry, trimmed, Sys.TryStatAt(directory.Handle, entry, followSymlinks: false, trimmed));
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>A slot is for a file, and a path ending in '/' names a directory. Tree copies hand
    /// their root over without the slash.</summary>
    private static Exception NotAFilePath(DirectoryHandle directory, EntryName name, string path) =>
        Sys.TryStatAt(directory.Handle, name, followSymlinks: true, path)?.Kind switch
        {
            FileKind.Directory => new SpliceRefusedException(Refusal.DestinationIsDirectory, $"Cannot write a file at '{path}': it names a directory."),
            var other => SpliceException.NoDirectoryForSlash(path, somethingElseThere: other is not null),
        };

    /// <summary>
    /// Where one item named <paramref name="itemName"/> goes when the user gave
    /// <paramref name="destination"/>: into it under the item's name when it is a directory (links
    /// followed, as Copy-Item does), else at that path. Asked once per item; the cmdlet shows and
    /// checks the answer, and the copier writes it. Nothing is changed on disk. A missing parent
    /// directory is ENOENT (or ENOTDIR), and so is a destination ending in '/' that is no directory.
    /// </summary>
    public static DestinationSlot ForItem(string destination, string itemName)
    {
        if (DirectoryHandle.TryOpen(destination, out int errno) is not { } directory)
        {
            // "name/" asks for a directory: a file is never made at it (cp: Not a directory).
            return errno is Errno.ENOTDIR or Errno.ENOENT && !destination.EndsWith('/')
                ? Resolve(destination)
                : throw new SpliceException(errno, "open", destination);
        }

        try
        {
            var name = EntryName.From(itemName);
            string path = directory.PathOf(name);
            return new DestinationSlot(directory, ownsDirectory: true, name, path, Sys.TryStatAt(directory.Handle, name, followSymlinks: false, path));
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>The same name in the same held directory, looked at afresh: a try after a transient
    /// failure (-Retry) must decide on what stands there now (a mount taken away, a file replaced),
    /// not on what stood there at the first try.</summary>
    public DestinationSlot LookedAtAgain() =>
        new(Directory, ownsDirectory: false, Name, Path, Sys.TryStatAt(Directory.Handle, Name, followSymlinks: false, Path));

    /// <summary>A name in a directory a tree copy holds; in a directory the copy made itself nothing
    /// else can stand there, so there is no look unless <paramref name="lookFirst"/> (items of
    /// several directories going into one). <paramref name="path"/>: the caller's path of it, where it has made it already.</summary>
    public static DestinationSlot In(DirectoryHandle directory, EntryName name, bool lookFirst = false, string? path = null)
    {
        path ??= directory.PathOf(name);
        var existing = directory.CreatedByThisCopy && !lookFirst ? null : Sys.TryStatAt(directory.Handle, name, followSymlinks: false, path);
        return new DestinationSlot(directory, ownsDirectory: false, name, path, existing);
    }

    /// <summary>Refuses what must not be written over, before anything is opened for writing.</summary>
    /// <param name="source">The source's status; null for sources that are not files.</param>
    /// <param name="sourcePath">For the messages; null where the source has no path.</param>
    public void Refuse(FileStatus? source, string? sourcePath, bool force)
    {
        if (Existing is not { } target)
        {
            return;
        }

        string what = sourcePath is null ? "the source" : $"'{sourcePath}'";
        // A link to the source would be replaced, not followed; refusing it keeps Copy-Item's message for a self-copy.
        var reached = target.Kind == FileKind.SymbolicLink ? Sys.TryStatAt(Directory.Handle, Name, followSymlinks: true, Path) : target;
        // A link copied as a link (-Preserve Links) onto itself is the same item as it stands there.
        if (source is { } s && (target.IsSameFile(s) || reached is { } r && r.IsSameFile(s)))
        {
            throw SpliceRefusedException.SelfCopy(Refusal.SameFile, $"Cannot copy {what} onto itself ('{Path}' is the same file).", Path);
        }

        switch (target.Kind)
        {
            case FileKind.Directory:
                throw new SpliceRefusedException(Refusal.DestinationIsDirectory, $"Cannot overwrite directory '{Path}' with {what}.");
            case FileKind.Socket:
                throw new SpliceRefusedException(Refusal.DestinationIsSocket, $"Cannot write {what} to '{Path}': it is a socket, which takes no content; send to it with Open-SpliceDescriptor -Uri unix://{Path} and Invoke-Splice.");
            // Root may write it anyway, and replaces it as cp and Copy-Item do; others need -Force.
            case FileKind.File when !force && (target.Permissions & AnyWriteBit) == 0 && Sys.EffectiveUid != 0:
                throw new SpliceRefusedException(Refusal.DestinationReadOnly, $"The destination '{Path}' is read-only; use -Force to replace it.");
        }
    }

    /// <summary>Opens the FIFO or device that stands at the name for writing. Never blocks in open(2):
    /// a FIFO without a reader is waited for in slices (Ctrl+C honoured). What was opened must be
    /// the node that was seen: a name swapped meanwhile (for a link, or a victim file) is refused.</summary>
    public SafeFileHandle OpenInPlace(ReadinessWait wait)
    {
        var expected = Existing ?? throw new InvalidOperationException("Nothing stands at the destination.");
        var handle = expected.Kind == FileKind.Fifo
            ? wait.OpenWhenFifoHasReader(() => OpenSeenNode(InPlaceFlags, regularFile: false), Path)
            : OpenSeenNode(InPlaceFlags, regularFile: false);
        return Checked(handle, expected, blocking: expected.Kind != FileKind.Fifo);
    }

    /// <summary>Opens the regular file that stands at the name (to write it in place with -InPlace, or to
    /// read what a replacement keeps of it): never through a link (O_NOFOLLOW), never blocking in
    /// open(2) (O_NONBLOCK, cleared after for writing), and only if it is still the file that was seen.</summary>
    public SafeFileHandle OpenExistingFile(bool write, bool read)
    {
        var expected = Existing is { Kind: FileKind.File } file ? file : throw new InvalidOperationException("No regular file stands at the destination.");
        int access = write && read ? Flags.O_RDWR : write ? Flags.O_WRONLY : Flags.O_RDONLY;
        var handle = OpenSeenNode(access | Flags.O_NOCTTY | Flags.O_NOFOLLOW | Flags.O_NONBLOCK, regularFile: true);
        return Checked(handle, expected, blocking: write);
    }

    /// <summary>The item seen at the name, opened with <paramref name="flags"/> to look at it (never
    /// through a link), or null when it is gone or no longer the one seen: for a caller to which a
    /// change only means copying over it as over any other.</summary>
    public SafeFileHandle? TryOpenSeen(int flags)
    {
        if (Existing is not { } expected)
        {
            return null;
        }

        SafeFileHandle handle;
        try
        {
            handle = Sys.OpenAt(Directory.Handle, Name, flags | Flags.O_NOFOLLOW, 0, Path);
        }
        catch (SpliceException e) when (e.Errno is Errno.ELOOP or Errno.ENOENT or Errno.ENXIO)
        {
            return null;
        }

        try
        {
            var opened = Sys.Stat(handle, Path);
            if (opened.IsSameFile(expected) && opened.Kind == expected.Kind)
            {
                return handle;
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        handle.Dispose();
        return null;
    }

    /// <summary>The node at the name, never through a symlink: a link swapped in since it was seen is
    /// the destination having changed, and so is a FIFO, socket or directory where a regular file was.</summary>
    private SafeFileHandle OpenSeenNode(int flags, bool regularFile)
    {
        try
        {
            return Sys.OpenAt(Directory.Handle, Name, flags, 0, Path);
        }
        catch (SpliceException e) when (e.Errno == Errno.ELOOP || (regularFile && e.Errno is Errno.ENXIO or Errno.EISDIR))
        {
            throw Changed();
        }
    }

    /// <summary>What was opened must be the node that was seen (same inode, same kind). It was opened
    /// O_NONBLOCK so that open(2) could not hang; writers that do not wait in
    /// <see cref="ReadinessWait"/> (everything but a FIFO) get blocking mode back.</summary>
    private SafeFileHandle Checked(SafeFileHandle handle, FileStatus expected, bool blocking)
    {
        try
        {
            var opened = Sys.Stat(handle, Path);
            if (!opened.IsSameFile(expected) || opened.Kind != expected.Kind)
            {
                throw Changed();
            }

            if (blocking)
            {
                Sys.SetNonBlocking(handle, false, Path);
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A new file (private unless <paramref name="mode"/> says otherwise) that takes this name only when committed.</summary>
    public TemporaryFile CreateFile(bool readable = false, int mode = MetadataCopier.PrivateFileMode) => TemporaryFile.In(this, readable, mode);

    /// <summary>The name made at once as a new empty file (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 or
    /// the <paramref name="mode"/> it is to have, see <see cref="MetadataCopier.CreationMode"/>),
    /// for a copy with no content that could be seen half-written; null when something stands
    /// there now (the caller then goes through <see cref="CreateFile"/>).</summary>
    public SafeFileHandle? TryCreateEmpty(int mode = PrivateMode)
    {
        try
        {
            return Sys.OpenAt(Directory.Handle, Name, Flags.O_WRONLY | Flags.O_CREAT | Flags.O_EXCL | Flags.O_NOFOLLOW | Flags.O_NOCTTY, mode, Path);
        }
        catch (SpliceException e) when (e.Errno == Errno.EEXIST)
        {
            return null;
        }
    }

    /// <summary>Takes back a file from <see cref="TryCreateEmpty"/> whose metadata failed: removed
    /// only while the name still holds that very file, and quietly (the failure is the error).</summary>
    public void RemoveCreated(SafeFileHandle created)
    {
        try
        {
            var made = Sys.Stat(created, Path);
            if (Sys.TryStatAt(Directory.Handle, Name, followSymlinks: false, Path) is { } there && there.IsSameFile(made))
            {
                TemporaryFile.RemoveQuietly(Directory, Name, Path);
            }
        }
        catch (SpliceException)
        {
            // Left as it is: private (0600) and empty.
        }
    }

    /// <summary>The destination's file system (to pick a method, to find tmpfs).</summary>
    public ulong Device => Directory.Status.Device;

    public void Dispose()
    {
        if (_ownsDirectory)
        {
            Directory.Dispose();
        }
    }

    private SpliceRefusedException Changed() =>
        new(Refusal.DestinationChanged, $"'{Path}' was replaced by something else while it was being opened; nothing was written to it.");
}
