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

    public override string? TryCopy(ByteTransfer transfer)
    {
        void* memory = NativeMemory.AlignedAlloc(BufferSize, PageSize);
        try
        {
            var buffer = new Span<byte>(memory, BufferSize);
            while (transfer.Remaining > 0)
            {
                transfer.ThrowIfCancelled();
                if (transfer.SourceIsStream && !transfer.WaitUntilReady(transfer.Source, Flags.POLLIN, transfer.SourcePath))
                {
                    break;
                }

                long read = Sys.Read(transfer.Source, buffer[..(int)NextChunk(transfer, BufferSize)], transfer.SourcePath);
                if (read == 0)
                {
                    break;
                }

                if (read != Sys.WouldBlock)
                {
                    WriteAll(transfer, buffer[..(int)read]);
                }
            }

            return null;
        }
        finally
        {
            NativeMemory.AlignedFree(memory);
        }
    }

    private static void WriteAll(ByteTransfer transfer, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            long written = Sys.Write(transfer.Destination, data, transfer.DestinationPath);
            if (written == Sys.WouldBlock)
            {
                transfer.WaitUntilReady(transfer.Destination, Flags.POLLOUT, transfer.DestinationPath);
                continue;
            }

            data = data[(int)written..];
            transfer.Advance(written);
        }
    }
}
