using System;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// -Update, -NoClobber and -Mirror over a destination that is already there: the walk looks at
/// each leaf's destination as it lists the source (one statx of the name, relative to the
/// destination directory, opened without following links as the copy opens it), and a leaf that
/// <see cref="UnchangedLeaves.IsUntouched(FileCopyRequest, DirectoryHandle, EntryName, in FileStatus)"/>
/// leaves alone is only counted: it never enters the plan, so a re-run of an unchanged tree holds
/// no entry per file and its copy has nothing to do. Only reads: every write still goes through
/// the copy, which looks again.
/// </summary>
internal sealed class UnchangedInWalk : IDisposable
{
    private readonly FileCopyRequest _options;

    private UnchangedInWalk(FileCopyRequest options, DirectoryHandle root, bool keepsNames)
    {
        _options = options;
        Root = root;
        KeepsNames = keepsNames;
    }

    /// <summary>The destination's counterpart of the walk's root.</summary>
    public DirectoryHandle Root { get; }

    /// <summary>-Mirror: the names of leaves left alone are kept with their directory, so that
    /// they are not taken for names the source lacks.</summary>
    public bool KeepsNames { get; }

    /// <summary>The check for a copy into <paramref name="destinationRoot"/>, or null when there is
    /// nothing to check against (no such directory, a link there, a plain copy that replaces).</summary>
    public static UnchangedInWalk? Open(string destinationRoot, FileCopyRequest options, bool mirror)
    {
        if (options.Existing == ExistingItems.Replace || options.Existing == ExistingItems.ReplaceChangedContent)
        {
            return null;
        }

        try
        {
            using var slot = DestinationSlot.Resolve(destinationRoot);
            return slot.Existing is { Kind: FileKind.Directory } ? new UnchangedInWalk(options, slot.Directory.OpenChild(slot.Name, followSymlink: false), mirror) : null;
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            return null; // the copy meets the same and reports it
        }
    }

    /// <summary>Whether the walk may leave this leaf out of the plan. Files of hard-link groups
    /// stay in it when links are kept: the groups are made from the plan.</summary>
    public bool LeavesOut(DirectoryHandle destination, EntryName name, in FileStatus status) =>
        ((_options.Preserve & CopyPreserve.Links) == 0 || status.LinkCount < 2)
        && UnchangedLeaves.IsUntouched(_options, destination, name, status);

    /// <summary>The destination's counterpart of a subdirectory, or null when there is none (it
    /// will be made) or something else stands there (the copy reports it).</summary>
    public static DirectoryHandle? OpenChild(DirectoryHandle? destination, EntryName name)
    {
        if (destination is null)
        {
            return null;
        }

        try
        {
            return destination.OpenChild(name, followSymlink: false);
        }
        catch (SpliceException)
        {
            return null;
        }
    }

    public void Dispose() => Root.Dispose();
}
