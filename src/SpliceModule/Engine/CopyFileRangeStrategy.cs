using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>copy_file_range(2): the file system copies in the kernel (server-side on NFS, reflink on
/// some), from the positions or at explicit offsets, which leave the positions alone.</summary>
internal sealed class CopyFileRangeStrategy : CopyStrategy
{
    private static readonly int[] FallbackErrnos =
        { Errno.ENOSYS, Errno.EXDEV, Errno.EINVAL, Errno.EOPNOTSUPP, Errno.EPERM, Errno.EBADF, Errno.ETXTBSY };

    public override CopyMethod Method => CopyMethod.CopyFileRange;

    public override string? TryCopy(ByteTransfer transfer)
    {
        if (!transfer.BothRegularFiles)
        {
            return "copy_file_range needs a regular file on both sides";
        }

        if (!KernelFeatures.IsAvailable(KernelFeature.CopyFileRange))
        {
            return "copy_file_range is not available in this process";
        }

        if (transfer.SourceSize == 0)
        {
            return transfer.SourceIsKnownEmpty ? null : "the source reports size 0 (a /proc or /sys file has content copy_file_range cannot see)";
        }

        while (transfer.Remaining > 0 && !transfer.ReachedTrueSize)
        {
            transfer.ThrowIfCancelled();
            long copied;
            try
            {
                copied = Sys.CopyFileRange(transfer.Source, transfer.NextSourceOffset, transfer.Destination, transfer.NextDestinationOffset, NextChunk(transfer, Chunk), transfer.SourcePath, transfer.DestinationPath);
            }
            catch (SpliceException e) when (MayFallBack(transfer, e, FallbackErrnos))
            {
                return e.Message;
            }

            if (copied == 0)
            {
                if (transfer.Copied == 0)
                {
                    return "copy_file_range copied nothing from a non-empty file";
                }

                break;
            }

            transfer.Advance(copied);
        }

        return null;
    }
}
