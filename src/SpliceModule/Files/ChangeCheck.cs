using System;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>What a copy does with a destination that already stands there.</summary>
internal enum ExistingItems
{
    /// <summary>Replace it (Copy-Item, cp).</summary>
    Replace,

    /// <summary>Leave a file of the same size and modification time (rsync's quick check), a link
    /// with the same target and a FIFO, socket or device of the same kind (-Update).</summary>
    ReplaceChanged,

    /// <summary>As <see cref="ReplaceChanged"/>, but a file is left when its size and SHA-256 are the
    /// source's, whatever its time (-Checksum, rsync -c).</summary>
    ReplaceChangedContent,

    /// <summary>Never replace anything (-NoClobber, cp -n, rsync --ignore-existing).</summary>
    Keep,
}

/// <summary>
/// Decides whether a destination that already exists is left alone, from what statx said of the
/// source and of the name in the destination (no extra call for files unless -Checksum), and
/// brings a file left alone up to its source's mode, owner and times where -Preserve asks for
/// them and they differ (as rsync -a does), through an O_PATH descriptor checked by inode.
/// </summary>
internal static class ChangeCheck
{
    /// <summary>True: leave it; false: copy; null: only the content can tell (-Checksum).</summary>
    public static bool? Decide(FileCopyRequest request, in FileStatus source, DestinationSlot slot) => Decide(request, source, slot.Existing);

    /// <summary>As the other, from what stands at the destination's name (null: nothing).</summary>
    public static bool? Decide(FileCopyRequest request, in FileStatus source, FileStatus? destination)
    {
        var rule = request.Existing;
        if (rule == ExistingItems.Replace || destination is not { } existing)
        {
            return false;
        }

        if (rule == ExistingItems.Keep)
        {
            return true;
        }

        if (existing.Kind != source.Kind)
        {
            return false;
        }

        return source.Kind switch
        {
            FileKind.File when existing.Size != source.Size => false,
            FileKind.File when WouldGiveAway(request.Preserve, source, existing) => false,
            FileKind.File when rule == ExistingItems.ReplaceChangedContent => null,
            FileKind.File => existing.ModifySeconds == source.ModifySeconds && existing.ModifyNanoseconds == source.ModifyNanoseconds,
            FileKind.Fifo or FileKind.Socket => true,
            _ => null,
        };
    }

    /// <summary>A file of another owner or group than its source's, which root would give the source's
    /// owner, and with it the set-user-ID and set-group-ID bits, if it were left alone: content that
    /// someone else wrote, with the size and time they chose (rsync -a does give it away). Only
    /// what this copy writes is given an owner, so it is copied again.</summary>
    private static bool WouldGiveAway(CopyPreserve preserve, in FileStatus source, in FileStatus existing) =>
        (preserve & CopyPreserve.Ownership) != 0 && (existing.Uid != source.Uid || existing.Gid != source.Gid) && Sys.EffectiveUid == 0;

    /// <summary>Whether a file, link or node is left alone, reading what <see cref="Decide"/> could not
    /// tell: the content of files (-Checksum), the targets of links, the numbers of devices.</summary>
    public static bool LeavesAlone(FileCopyRequest request, SafeFileHandle? source, in FileStatus sourceStatus, DestinationSlot slot, Func<SafeFileHandle>? openSource = null)
    {
        if (Decide(request, sourceStatus, slot) is { } decided)
        {
            return decided;
        }

        return sourceStatus.Kind == FileKind.File && (source is not null || openSource is not null) && SameContent(source, openSource, slot, request.Cancellation);
    }

    /// <summary>A link of a tree whose destination is a link to the same target, or a device whose
    /// destination is a device with the same number.</summary>
    public static bool SameNode(DirectoryHandle sourceDirectory, EntryName name, in FileStatus sourceStatus, DestinationSlot slot)
    {
        string sourcePath = sourceDirectory.PathOf(name);
        if (sourceStatus.Kind == FileKind.SymbolicLink)
        {
            return NodeCopier.ReadSourceLink(sourceDirectory, name, sourcePath).AsSpan().SequenceEqual(DestinationLinkTarget(slot));
        }

        using var from = Sys.OpenAt(sourceDirectory.Handle, name, Flags.O_PATH | Flags.O_NOFOLLOW, 0, sourcePath);
        using var to = slot.TryOpenSeen(Flags.O_PATH);
        return to is not null && Sys.DeviceNumber(from, sourcePath) == Sys.DeviceNumber(to, slot.Path);
    }

    /// <summary>What the link at the destination points to; one gone or replaced since it was seen is
    /// no match, and is copied over as anything else there would be.</summary>
    private static ReadOnlySpan<byte> DestinationLinkTarget(DestinationSlot slot)
    {
        try
        {
            return Sys.ReadLinkAt(slot.Directory.Handle, slot.Name, slot.Path);
        }
        catch (SpliceException e) when (e.Errno is Errno.EINVAL or Errno.ENOENT)
        {
            return default;
        }
    }

    /// <summary>Gives a file left alone the source's mode, owner and times (as far as -Preserve asks)
    /// where statx shows they differ; nothing is opened when they agree.</summary>
    public static MetadataReport Refresh(FileCopyRequest request, string sourcePath, in FileStatus source, DestinationSlot slot)
    {
        if (!NeedsRefresh(request, source, slot.Existing!.Value))
        {
            return default;
        }

        using var node = slot.TryOpenSeen(Flags.O_PATH);
        return node is null ? default : MetadataCopier.Apply(null, source, node, request.Preserve & Refreshed, sourcePath, slot.Path, pathOnly: true);
    }

    /// <summary>A file left alone whose mode, owner or times (as far as -Preserve asks) are not its source's.</summary>
    public static bool NeedsRefresh(FileCopyRequest request, in FileStatus source, in FileStatus existing)
    {
        var preserve = request.Preserve & Refreshed;
        return request.Existing != ExistingItems.Keep && source.Kind == FileKind.File
            && (((preserve & CopyPreserve.Mode) != 0 && existing.Permissions != source.Permissions)
                || ((preserve & CopyPreserve.Ownership) != 0 && (existing.Uid != source.Uid || existing.Gid != source.Gid))
                || ((preserve & CopyPreserve.Timestamps) != 0 && (existing.ModifySeconds != source.ModifySeconds || existing.ModifyNanoseconds != source.ModifyNanoseconds)));
    }

    private const CopyPreserve Refreshed = CopyPreserve.Mode | CopyPreserve.Ownership | CopyPreserve.Timestamps;

    private static bool SameContent(SafeFileHandle? source, Func<SafeFileHandle>? openSource, DestinationSlot slot, CancellationToken cancellation)
    {
        using var destination = slot.TryOpenSeen(Flags.O_RDONLY | Flags.O_NONBLOCK | Flags.O_NOCTTY);
        if (destination is null)
        {
            return false;
        }

        var opened = source is null ? openSource!() : null;
        try
        {
            return string.Equals(ContentVerifier.Hash(source ?? opened!, cancellation), ContentVerifier.Hash(destination, cancellation), StringComparison.Ordinal);
        }
        finally
        {
            opened?.Dispose();
        }
    }
}
