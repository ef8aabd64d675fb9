using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>read(2)/write(2) through one page-aligned buffer: works for everything, including
/// /proc and /sys files that report size 0 and refuse splice. Explicit offsets go by pread(2) and
/// pwrite(2), which leave the descriptors' positions alone.</summary>
internal sealed unsafe class ReadWriteStrategy : CopyStrategy
{
    internal const int BufferSize = 256 * 1024;
    private const int PageSize = 4096;

    public override CopyMethod Method => CopyMethod.ReadWrite;

    public override string? TryCopy(ByteTransfer transfer)
    {
        nint buffer = (nint)NativeMemory.AlignedAlloc(BufferSize, PageSize);
        try
        {
            // A stream source is polled before every read: in blocking mode the read would block Ctrl+C.
            var sourceReady = Readiness.ToRead(transfer.Source, transfer.SourcePath) with { WaitFirst = transfer.SourceIsStream };
            var destinationReady = Readiness.ToWrite(transfer.Destination, transfer.DestinationPath);
            while (transfer.Remaining > 0)
            {
                long read = transfer.Wait.Retry(new ReadCall(transfer.Source, buffer, (int)NextChunk(transfer, BufferSize), transfer.NextSourceOffset, transfer.SourcePath), sourceReady);
                if (read == 0)
                {
                    break;
                }

                for (long written = 0; written < read;)
                {
                    long moved = transfer.Wait.Retry(new WriteCall(transfer.Destination, buffer + (nint)written, (int)(read - written), transfer.NextDestinationOffset, transfer.DestinationPath), destinationReady);
                    written += moved;
                    transfer.Advance(moved);
                }
            }

            return null;
        }
        finally
        {
            NativeMemory.AlignedFree((void*)buffer);
        }
    }
}
