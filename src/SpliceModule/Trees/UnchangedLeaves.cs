using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// -Update, -Checksum and -NoClobber inside a tree: a leaf whose destination already matches is
/// left alone from what the walk's statx and the destination's statx say, without opening the
/// source (so a re-run of an unchanged tree only reads metadata). Links are compared by target,
/// devices by number; files under -Checksum are left to <see cref="FileCopier"/>, which compares
/// their content through the source it opens.
/// </summary>
internal static class UnchangedLeaves
{
    /// <summary>The no-change path of a re-run: one statx of the destination's name, nothing
    /// allocated. True only for a leaf left alone that needs nothing at all (not even its mode);
    /// anything else, an error included, goes the whole way (<see cref="Check"/> or a copy), which
    /// looks again and reports.</summary>
    public static bool IsUntouched(FileCopyRequest options, DirectoryHandle destination, TreeEntry entry) =>
        entry.Problem is null && IsUntouched(options, destination, entry.Name, entry.Status);

    public static bool IsUntouched(FileCopyRequest options, DirectoryHandle destination, EntryName name, in FileStatus status)
    {
        if (status.Kind is not (FileKind.File or FileKind.Fifo or FileKind.Socket))
        {
            return false;
        }

        FileStatus? existing;
        try
        {
            existing = Sys.TryStatIn(destination.Handle, destination.Path, name, followSymlinks: false);
        }
        catch (SpliceException)
        {
            return false;
        }

        return existing is { } there && !there.IsSameFile(status)
            && ChangeCheck.Decide(options, status, there) == true
            && !ChangeCheck.NeedsRefresh(options, status, there);
    }

    public static TreeOutcome? Check(FileCopyRequest options, DirectoryHandle source, TreeEntry entry, DestinationSlot slot, string sourcePath, string destinationPath)
    {
        if (slot.Existing is not { } existing || existing.IsSameFile(entry.Status))
        {
            return null;
        }

        var status = entry.Status;
        bool? decided = ChangeCheck.Decide(options, status, slot);
        bool leave = decided ?? (status.Kind is FileKind.SymbolicLink or FileKind.CharacterDevice or FileKind.BlockDevice && ChangeCheck.SameNode(source, entry.Name, status, slot));
        if (!leave)
        {
            return null;
        }

        var result = FileCopier.Unchanged(options, sourcePath, status, slot);
        return new TreeOutcome(sourcePath, destinationPath, result, result.Metadata, null, true);
    }
}
