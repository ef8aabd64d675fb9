using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>ioctl(FICLONE): the destination shares the source's extents (btrfs, XFS, bcachefs); O(1).</summary>
internal sealed class ReflinkStrategy : CopyStrategy
{
    public override CopyMethod Method => CopyMethod.Reflink;

    public override bool SharesBlocks => true;

    /// <summary>FICLONE clones whole files.</summary>
    public override TransferOffsets OffsetsTaken => TransferOffsets.None;

    public override string? TryCopy(ByteTransfer transfer)
    {
        if (!transfer.BothRegularFiles)
        {
            return "reflinks need a regular file on both sides";
        }

        if (transfer.Limit != ByteTransfer.ToEnd)
        {
            return "reflinks clone whole files";
        }

        if (transfer.SourceSize == 0 && !transfer.SourceIsKnownEmpty)
        {
            return "the source reports size 0 (a /proc or /sys file has content a reflink cannot see)";
        }

        if (Sys.TryClone(transfer.Source, transfer.Destination) is var errno and not 0)
        {
            var refused = new SpliceException(errno, "ioctl(FICLONE)", transfer.SourcePath, transfer.DestinationPath);
            return MayFallBack(transfer, refused) ? refused.Message : throw refused;
        }

        // The clone leaves both file positions where they were; later metadata steps do not care.
        transfer.Advance(transfer.SourceSize);
        return null;
    }
}
