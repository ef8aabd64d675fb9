using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// What an existing destination may not be, whichever engine writes it (Copy-SpliceItem,
/// Invoke-Tee -Path, Write-VmSplice to a path): the source itself (same inode, also through a
/// hard or symbolic link), a directory, or without -Force a read-only regular file.
/// </summary>
internal static class ExistingDestination
{
    private const int AnyWriteBit = 0b010_010_010;

    /// <param name="target">The destination's status, symlinks followed.</param>
    /// <param name="source">The source's status; null for sources that are not files.</param>
    /// <param name="sourcePath">For the messages; null where the source has no path.</param>
    public static void Refuse(in FileStatus target, FileStatus? source, string? sourcePath, string destinationPath, bool force)
    {
        string what = sourcePath is null ? "the source" : $"'{sourcePath}'";
        if (source is { } s && target.IsSameFile(s))
        {
            throw new CopyRefusedException(CopyRefusal.SameFile, $"Cannot copy {what} onto itself ('{destinationPath}' is the same file).");
        }

        if (target.Kind == FileKind.Directory)
        {
            throw new CopyRefusedException(CopyRefusal.DestinationIsDirectory, $"Cannot overwrite directory '{destinationPath}' with {what}.");
        }

        // Only a regular file standing at the name itself: a symlink there is replaced, not written through.
        if (!force && target.Kind == FileKind.File && (target.Permissions & AnyWriteBit) == 0
            && Sys.TryStat(destinationPath, followSymlinks: false)?.Kind == FileKind.File)
        {
            throw new CopyRefusedException(CopyRefusal.DestinationReadOnly, $"The destination '{destinationPath}' is read-only; use -Force to replace it.");
        }
    }
}
