using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// One run of bytes to move from one descriptor to another: from the source's current position
/// (or <see cref="SourceOffset"/>) to the destination's (or <see cref="DestinationOffset"/>),
/// until end of input or <see cref="Limit"/> bytes. The strategies share it so that progress,
/// cancellation and the count of bytes written live in one place. (Not a PowerShell job: it runs
/// on the thread that calls <see cref="CopyEngine.Run"/>.)
/// </summary>
internal sealed class ByteTransfer
{
    /// <summary>Copy until the source reports end of input.</summary>
    internal const long ToEnd = long.MaxValue;

    private long _takenIntoPipe;

    public ByteTransfer(SafeHandle source, FileKind sourceKind, string sourcePath, SafeHandle destination, FileKind destinationKind, string destinationPath)
    {
        Source = source;
        SourceKind = sourceKind;
        SourcePath = sourcePath;
        Destination = destination;
        DestinationKind = destinationKind;
        DestinationPath = destinationPath;
    }

    public SafeHandle Source { get; }

    public FileKind SourceKind { get; }

    public string SourcePath { get; }

    public SafeHandle Destination { get; }

    public FileKind DestinationKind { get; }

    public string DestinationPath { get; }

    /// <summary>The source's size where it is a regular file (0 for /proc files, which still have content).</summary>
    public long SourceSize { get; init; }

    /// <summary>The source is a regular file of size 0 on the destination's file system, so it
    /// really is empty: /proc and /sys files also report 0 but have content, and they never share
    /// a file system with a destination. Lets the size-bound methods copy an empty file.</summary>
    public bool SourceIsKnownEmpty { get; init; }

    /// <summary>The source is a regular file whose size is its content's length (FileCopyRequest.SourceSizeIsTrue):
    /// a copy from the start has found the end once <see cref="SourceSize"/> bytes are in.</summary>
    public bool SourceSizeIsTrue { get; init; }

    /// <summary>Everything the source holds is copied, by its true size (no call needed to find the end).</summary>
    public bool ReachedTrueSize => SourceSizeIsTrue && SourceOffset == Sys.CurrentPosition && Copied >= SourceSize;

    /// <summary>Bytes the destination, a new regular file, is about to receive from its start:
    /// reserved (<see cref="SpaceReservation"/>) before the first strategy that writes them. 0
    /// for none (a descriptor of the caller's, a stream).</summary>
    public long ReserveBytes { get; init; }

    public long Limit { get; set; } = ToEnd;

    /// <summary>Where to start reading (pread-style: the descriptor's own position is not moved),
    /// or <see cref="Sys.CurrentPosition"/> to read from and advance the descriptor's position.</summary>
    public long SourceOffset { get; init; } = Sys.CurrentPosition;

    /// <summary>Where to start writing, like <see cref="SourceOffset"/>.</summary>
    public long DestinationOffset { get; init; } = Sys.CurrentPosition;

    /// <summary>Ctrl+C, and how long one wait for a quiet stream may last (none: until Ctrl+C).</summary>
    public ReadinessWait Wait { get; init; } = ReadinessWait.Uncancellable;

    /// <summary>Called with the running total after each chunk; runs on the copying thread.</summary>
    public Action<long>? Progress { get; init; }

    /// <summary>Bytes this transfer has written so far; strategies may fall back only while it is 0.</summary>
    public long Copied { get; private set; }

    /// <summary>Bytes taken from the source so far: <see cref="Copied"/>, and with them those that a
    /// failed write left in a strategy's pipe between the ends. A stream source cannot have those
    /// back, so a caller that keeps a stream framed counts with this.</summary>
    public long Taken => Math.Max(Copied, _takenIntoPipe);

    public long Remaining => Limit == ToEnd ? ToEnd : Limit - Copied;

    public bool BothRegularFiles => SourceKind == FileKind.File && DestinationKind == FileKind.File;

    public bool SourceIsStream => SourceKind is FileKind.Pipe or FileKind.Fifo or FileKind.Socket or FileKind.CharacterDevice;

    public bool DestinationIsStream => DestinationKind is FileKind.Pipe or FileKind.Fifo or FileKind.Socket or FileKind.CharacterDevice;

    /// <summary>The ends that start at an explicit offset.</summary>
    public TransferOffsets ExplicitOffsets =>
        (SourceOffset == Sys.CurrentPosition ? TransferOffsets.None : TransferOffsets.Source)
        | (DestinationOffset == Sys.CurrentPosition ? TransferOffsets.None : TransferOffsets.Destination);

    /// <summary>The offset for the next read: explicit offsets move on with the bytes copied.</summary>
    public long NextSourceOffset => SourceOffset == Sys.CurrentPosition ? Sys.CurrentPosition : SourceOffset + Copied;

    public long NextDestinationOffset => DestinationOffset == Sys.CurrentPosition ? Sys.CurrentPosition : DestinationOffset + Copied;

    /// <summary>A strategy has filled its own pipe, empty before, with <paramref name="bytes"/> from the source.</summary>
    public void TakeIntoPipe(long bytes) => _takenIntoPipe = Copied + bytes;

    public void Advance(long bytes)
    {
        Copied += bytes;
        Progress?.Invoke(Copied);
    }

    public void ThrowIfCancelled() => Wait.Cancellation.ThrowIfCancellationRequested();
}
