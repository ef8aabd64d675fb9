using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>sendfile(2): a regular (mmap-able) source to any destination, e.g. a socket, from the
/// file position or from an explicit <see cref="CopyJob.SourceOffset"/> (which leaves the position alone).</summary>
internal sealed class SendFileStrategy : CopyStrategy
{
    private static readonly int[] FallbackErrnos = { Errno.EINVAL, Errno.ENOSYS, Errno.EOPNOTSUPP, Errno.ESPIPE, Errno.EBADF };

    public override CopyMethod Method => CopyMethod.SendFile;

    public override string? TryCopy(CopyJob job)
    {
        if (job.SourceKind != FileKind.File)
        {
            return "sendfile reads only from regular files";
        }

        if (!KernelFeatures.IsAvailable(KernelFeature.SendFile))
        {
            return "sendfile is not available in this process";
        }

        while (job.Remaining > 0)
        {
            job.ThrowIfCancelled();
            long sent;
            try
            {
                sent = Sys.SendFile(job.Destination, job.Source, job.NextSourceOffset, NextChunk(job, Chunk), job.SourcePath, job.DestinationPath);
            }
            catch (SpliceException e) when (MayFallBack(job, e, FallbackErrnos))
            {
                return e.Message;
            }

            if (sent == 0)
            {
                break;
            }

            if (sent == Sys.WouldBlock)
            {
                job.WaitUntilReady(job.Destination, Flags.POLLOUT, job.DestinationPath);
                continue;
            }

            job.Advance(sent);
        }

        return null;
    }
}
