using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>read(2)/write(2) through one page-aligned buffer: works for everything, including
/// /proc and /sys files that report size 0 and refuse splice.</summary>
internal sealed unsafe class ReadWriteStrategy : CopyStrategy
{
    internal const int BufferSize = 256 * 1024;
    private const int PageSize = 4096;

    public override CopyMethod Method => CopyMethod.ReadWrite;

    public override string? TryCopy(CopyJob job)
    {
        void* memory = NativeMemory.AlignedAlloc(BufferSize, PageSize);
        try
        {
            var buffer = new Span<byte>(memory, BufferSize);
            while (job.Remaining > 0)
            {
                job.ThrowIfCancelled();
                if (job.SourceIsStream && !job.WaitUntilReady(job.Source, Flags.POLLIN, job.SourcePath))
                {
                    break;
                }

                long read = Sys.Read(job.Source, buffer[..(int)NextChunk(job, BufferSize)], job.SourcePath);
                if (read == 0)
                {
                    break;
                }

                if (read != Sys.WouldBlock)
                {
                    WriteAll(job, buffer[..(int)read]);
                }
            }

            return null;
        }
        finally
        {
            NativeMemory.AlignedFree(memory);
        }
    }

    private static void WriteAll(CopyJob job, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            long written = Sys.Write(job.Destination, data, job.DestinationPath);
            if (written == Sys.WouldBlock)
            {
                job.WaitUntilReady(job.Destination, Flags.POLLOUT, job.DestinationPath);
                continue;
            }

            data = data[(int)written..];
            job.Advance(written);
        }
    }
}
