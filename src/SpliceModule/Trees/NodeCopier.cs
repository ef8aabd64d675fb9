using System;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Recreates the items of a tree that have no content to copy: symbolic links (as links, with the
/// same target, as cp -R does) and FIFOs, sockets and device nodes (mknodat). Each is made in the
/// destination's held directory, directly under its name when the copy made that directory, else
/// under a hidden name renamed over whatever stood there (even a link: replaced, never written
/// through). The new item is then opened O_PATH|O_NOFOLLOW and checked to be the one just made
/// before its owner, mode and times are set through that descriptor: a name swapped for a link to
/// another file in between gets nothing.
/// </summary>
internal static class NodeCopier
{
    private const int PrivateMode = 0b110_000_000;

    public static MetadataReport CopyLink(DirectoryHandle sourceDirectory, EntryName name, in FileStatus linkStatus, DestinationSlot slot, CopyPreserve preserve)
    {
        string sourcePath = sourceDirectory.PathOf(name);
        return MakeLink(ReadSourceLink(sourceDirectory, name, sourcePath), linkStatus, slot, preserve, sourcePath);
    }

    /// <summary>The target of a link the walk saw; a link replaced since by something else (readlinkat's
    /// EINVAL) is the source having changed.</summary>
    public static byte[] ReadSourceLink(DirectoryHandle sourceDirectory, EntryName name, string sourcePath)
    {
        try
        {
            return Sys.ReadLinkAt(sourceDirectory.Handle, name, sourcePath);
        }
        catch (SpliceException e) when (e.Errno == Errno.EINVAL)
        {
            throw NoLongerALink(sourcePath);
        }
    }

    /// <summary>A link of the walk (or the command line) that is something else by the time it is read.</summary>
    private static SpliceRefusedException NoLongerALink(string path) =>
        new(Refusal.SourceChanged, $"'{path}' is no longer a symbolic link; nothing was copied.");

    /// <summary>A link whose target came from elsewhere (a tree stream from another host):
    /// <paramref name="terminatedTarget"/> ends with a NUL.</summary>
    public static MetadataReport MakeLink(byte[] terminatedTarget, in FileStatus linkStatus, DestinationSlot slot, CopyPreserve preserve, string sourcePath) =>
        Make(slot, linkStatus, preserve, sourcePath, (directory, at) => Sys.MakeSymbolicLinkAt(terminatedTarget, directory, at, slot.Path));

    /// <summary>A symbolic link named on the command line, copied as a link (-Preserve Links, cp -d):
    /// read from its own directory, held open, without following it.</summary>
    public static MetadataReport CopyNamedLink(string sourcePath, DestinationSlot slot, CopyPreserve preserve, bool force)
    {
        string trimmed = sourcePath.Length > 1 ? sourcePath.TrimEnd('/') : sourcePath;
        using var directory = DirectoryHandle.Open(System.IO.Path.GetDirectoryName(trimmed) is { Length: > 0 } parent ? parent : ".");
        var name = EntryName.From(System.IO.Path.GetFileName(trimmed));
        var status = Sys.TryStatAt(directory.Handle, name, followSymlinks: false, trimmed)
            ?? throw new SpliceException(Errno.ENOENT, "statx", trimmed);
        if (status.Kind != FileKind.SymbolicLink)
        {
            throw NoLongerALink(trimmed);
        }

        slot.Refuse(status, trimmed, force);
        return CopyLink(directory, name, status, slot, preserve);
    }

    public static MetadataReport CopyNode(DirectoryHandle sourceDirectory, EntryName name, in FileStatus status, DestinationSlot slot, CopyPreserve preserve)
    {
        string sourcePath = sourceDirectory.PathOf(name);
        ulong device = 0;
        if (status.Kind is FileKind.CharacterDevice or FileKind.BlockDevice)
        {
            using var node = Sys.OpenAt(sourceDirectory.Handle, name, Flags.O_PATH | Flags.O_NOFOLLOW, 0, sourcePath);
            device = Sys.DeviceNumber(node, sourcePath);
        }

        return MakeNode(status, device, slot, preserve, sourcePath);
    }

    /// <summary>A FIFO, socket or device node of <paramref name="status"/>'s kind (and
    /// <paramref name="device"/> number), made private and then given its metadata.</summary>
    public static MetadataReport MakeNode(in FileStatus status, ulong device, DestinationSlot slot, CopyPreserve preserve, string sourcePath)
    {
        uint mode = (status.Mode & 0xF000) | PrivateMode;
        return Make(slot, status, preserve, sourcePath, (directory, at) => Sys.MakeNodeAt(directory, at, mode, device, slot.Path));
    }

    private static MetadataReport Make(DestinationSlot slot, FileStatus status, CopyPreserve preserve, string sourcePath, Func<SafeFileHandle, EntryName, bool> create)
    {
        var directory = slot.Directory;
        if (slot.Existing is null && create(directory.Handle, slot.Name))
        {
            return Finish(directory, slot.Name, status, preserve, sourcePath, slot.Path);
        }

        EntryName hidden;
        do
        {
            hidden = TemporaryFile.HiddenNameFor(slot.Name);
        }
        while (!create(directory.Handle, hidden));

        try
        {
            var report = Finish(directory, hidden, status, preserve, sourcePath, slot.Path);
            Sys.RenameAt(directory.Handle, hidden, slot.Name, slot.Path, slot.Path);
            return report;
        }
        catch
        {
            TemporaryFile.RemoveQuietly(directory, hidden, slot.Path);
            throw;
        }
    }

    private static MetadataReport Finish(DirectoryHandle directory, EntryName at, in FileStatus status, CopyPreserve preserve, string sourcePath, string display)
    {
        using var made = Sys.OpenAt(directory.Handle, at, Flags.O_PATH | Flags.O_NOFOLLOW, 0, display);
        var seen = Sys.Stat(made, display);
        if (seen.Kind != status.Kind || seen.Uid != Sys.EffectiveUid)
        {
            throw new SpliceRefusedException(Refusal.DestinationChanged, $"The item this copy made for '{display}' was replaced by another before its metadata was set; nothing was changed on it.");
        }

        return MetadataCopier.Apply(null, status, made, preserve, sourcePath, display, pathOnly: true);
    }
}
