using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>ioctl(FICLONE): the destination shares the source's extents (btrfs, XFS, bcachefs); O(1).</summary>
internal sealed class ReflinkStrategy : CopyStrategy
{
    public override CopyMethod Method => CopyMethod.Reflink;

    public override string? TryCopy(CopyJob job)
    {
        if (!job.BothRegularFiles)
        {
            return "reflinks need a regular file on both sides";
        }

        if (job.Limit != CopyJob.ToEnd)
        {
            return "reflinks clone whole files";
        }

        if (job.SourceSize == 0 && !job.SourceIsKnownEmpty)
        {
            return "the source reports size 0 (a /proc or /sys file has content a reflink cannot see)";
        }

        try
        {
            Sys.Clone(job.Source, job.Destination, job.SourcePath, job.DestinationPath);
        }
        catch (SpliceException e) when (MayFallBack(job, e))
        {
            return e.Message;
        }

        // The clone leaves both file positions where they were; later metadata steps do not care.
        job.Advance(job.SourceSize);
        return null;
    }
}
