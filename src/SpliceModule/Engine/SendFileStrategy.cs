using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>sendfile(2): a regular (mmap-able) source to any destination, e.g. a socket, from the
/// file position or from an explicit <see cref="ByteTransfer.SourceOffset"/> (which leaves the
/// position alone), always at the destination's own position.</summary>
internal sealed class SendFileStrategy : CopyStrategy
{
    private static readonly int[] FallbackErrnos = { Errno.EINVAL, Errno.ENOSYS, Errno.EOPNOTSUPP, Errno.ESPIPE, Errno.EBADF };

    public override CopyMethod Method => CopyMethod.SendFile;

    /// <summary>sendfile(2) takes an offset for its input only; it writes at the output's position.</summary>
    public override TransferOffsets OffsetsTaken => TransferOffsets.Source;

    public override string? TryCopy(ByteTransfer transfer)
    {
        if (transfer.SourceKind != FileKind.File)
        {
            return "sendfile reads only from regular files";
        }

        if (!KernelFeatures.IsAvailable(KernelFeature.SendFile))
        {
            return "sendfile is not available in this process";
        }

        // Only a destination can be not ready: a full socket (non-blocking, or the call would block).
        var destinationReady = Readiness.ToWrite(transfer.Destination, transfer.DestinationPath);
        while (transfer.Remaining > 0)
        {
            long sent;
            try
            {
                var call = new SendFileCall(transfer.Source, transfer.NextSourceOffset, transfer.Destination, NextChunk(transfer, Chunk), transfer.SourcePath, transfer.DestinationPath);
                sent = transfer.Wait.Retry(call, destinationReady);
            }
            catch (SpliceException e) when (MayFallBack(transfer, e, FallbackErrnos))
            {
                return e.Message;
            }

            if (sent == 0)
            {
                break;
            }

            transfer.Advance(sent);
        }

        return null;
    }
}
