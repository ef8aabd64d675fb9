using System;
using System.Diagnostics;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>What Invoke-Splice was asked to move.</summary>
internal sealed record SpliceRequest(SpliceDescriptor Source, SpliceDescriptor Destination)
{
    public long? Length { get; init; }

    public long? SourceOffset { get; init; }

    public long? DestinationOffset { get; init; }

    public ReadinessWait Wait { get; init; } = new(default);

    /// <summary>Called on the calling thread with the bytes moved so far and the bytes expected (0 when unknown).</summary>
    public Action<long, long>? Progress { get; init; }
}

/// <summary>
/// Invoke-Splice's engine: moves bytes between two descriptors through <see cref="SpliceStrategy"/>
/// (directly when one end is a pipe, through a kernel pipe of its own otherwise). A regular file
/// into a non-blocking socket goes by sendfile(2) instead, which hands the file's pages to TCP
/// without the 1 MiB bursts a splice loop through a pipe makes, and was the faster of the two
/// (bench/results/NOTES.md).
/// splice(2) refuses O_APPEND destinations, so those, and devices without splice support, go by
/// read/write, and the result says so.
/// </summary>
internal static class DescriptorSplicer
{
    private static Action<long> ProgressWithExpected(Action<long, long> progress, long expected) => done => progress(done, expected);

    public static SpliceTransferResult Run(SpliceRequest request, Action<string>? explain = null)
    {
        var (source, destination) = (request.Source, request.Destination);
        Validate(request);
        var transfer = new ByteTransfer(source.Handle, source.Kind, source.DisplayName, destination.Handle, destination.Kind, destination.DisplayName)
        {
            Limit = request.Length ?? ByteTransfer.ToEnd,
            SourceOffset = request.SourceOffset ?? Sys.CurrentPosition,
            DestinationOffset = request.DestinationOffset ?? Sys.CurrentPosition,
            Wait = request.Wait,
            Progress = request.Progress is { } progress ? ProgressWithExpected(progress, Endpoint.ExpectedBytes(source.Handle, source.Kind, source.Path, request.SourceOffset, request.Length)) : null,
        };

        var clock = Stopwatch.StartNew();
        if (source.Kind == FileKind.File && Endpoint.IsNonBlockingSocket(destination) && CopyEngine.TryWith(CopyMethod.SendFile, transfer) is null)
        {
            return new SpliceTransferResult(source.DisplayName, destination.DisplayName, transfer.Copied, TransferMethod.SendFile, clock.Elapsed);
        }

        var method = TransferMethod.Splice;
        string? refused = Endpoint.IsAppendOnly(destination) ? "splice(2) refuses destinations opened with O_APPEND" : CopyEngine.TryWith(CopyMethod.Splice, transfer);
        if (refused is not null)
        {
            // read/write honours the offsets too (pread/pwrite), and copies whatever it is given.
            explain?.Invoke($"{refused}; copied by read/write instead.");
            CopyEngine.TryWith(CopyMethod.ReadWrite, transfer);
            method = TransferMethod.ReadWrite;
        }

        return new SpliceTransferResult(source.DisplayName, destination.DisplayName, transfer.Copied, method, clock.Elapsed);
    }

    private static void Validate(SpliceRequest request)
    {
        if (request.SourceOffset is { } sourceOffset)
        {
            Endpoint.RequireSeekable(request.Source, "SourceOffset");
            RequireRoom(sourceOffset, request.Length, "SourceOffset");
        }

        if (request.DestinationOffset is { } destinationOffset)
        {
            Endpoint.RequireSeekable(request.Destination, "DestinationOffset");
            if (Endpoint.IsAppendOnly(request.Destination))
            {
                throw new SpliceRefusedException(Refusal.OffsetNotSupported, $"{request.Destination.DisplayName} was opened for appending; every write goes to its end, so -DestinationOffset cannot apply.");
            }

            RequireRoom(destinationOffset, request.Length, "DestinationOffset");
        }

        if (ReferenceEquals(request.Source.Handle, request.Destination.Handle))
        {
            throw new SpliceRefusedException(Refusal.SamePipe, $"{request.Source.DisplayName} cannot be both the source and the destination.");
        }

        if (AreOnePipe(request.Source, request.Destination))
        {
            throw new SpliceRefusedException(Refusal.SamePipe, $"{request.Source.DisplayName} and {request.Destination.DisplayName} are the two ends of one pipe: it cannot be spliced into itself. Splice into another pipe (New-KernelPipe) or descriptor.");
        }

        if (request.Length is null && WritesAheadInSameFile(request))
        {
            throw new SpliceRefusedException(Refusal.SameFile, $"{request.Source.DisplayName} and {request.Destination.DisplayName} are the same file, and the destination writes ahead of where the source reads{(Endpoint.IsAppendOnly(request.Destination) ? " (it appends)" : string.Empty)}: copying to end of input would read back its own output until the disk is full. Give -Length.");
        }
    }

    /// <summary>One regular file on both sides, written ahead of where it is read (appended to, or
    /// from a later offset): its end moves away as fast as the copy reads towards it, as with
    /// 'cat f >> f'. Writing at or behind the read position ends at the file's end.</summary>
    private static bool WritesAheadInSameFile(SpliceRequest request)
    {
        var (source, destination) = (request.Source, request.Destination);
        if (source.Kind != FileKind.File || destination.Kind != FileKind.File
            || !Sys.Stat(source.Handle, source.Path).IsSameFile(Sys.Stat(destination.Handle, destination.Path)))
        {
            return false;
        }

        if (Endpoint.IsAppendOnly(destination))
        {
            return true;
        }

        long reads = request.SourceOffset ?? Sys.Seek(source.Handle, 0, Flags.SEEK_CUR, source.Path);
        long writes = request.DestinationOffset ?? Sys.Seek(destination.Handle, 0, Flags.SEEK_CUR, destination.Path);
        return writes > reads;
    }

    /// <summary>A KernelPipe passed as both source and destination is read from its read end and
    /// written through its write end, two descriptors of one pipe; so are a FIFO's read and write
    /// descriptors. splice(2) refuses that with EINVAL, and read/write would read back what it
    /// writes for ever: both ends are the same pipe inode.</summary>
    private static bool AreOnePipe(SpliceDescriptor source, SpliceDescriptor destination) =>
        source.Kind is FileKind.Pipe or FileKind.Fifo
        && destination.Kind is FileKind.Pipe or FileKind.Fifo
        && Sys.Stat(source.Handle, source.Path).IsSameFile(Sys.Stat(destination.Handle, destination.Path));

    /// <summary>Files end at 2^63-1 bytes; an offset plus a length past that is a typo, not a request.</summary>
    private static void RequireRoom(long offset, long? length, string parameter)
    {
        if (length is { } bytes && bytes > long.MaxValue - offset)
        {
            throw new SpliceRefusedException(Refusal.LengthOutOfRange, $"-{parameter} {offset} plus -Length {bytes} lies beyond the largest file offset Linux allows.");
        }
    }
}
