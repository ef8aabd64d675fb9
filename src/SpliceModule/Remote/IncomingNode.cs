using System;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// A FIFO or device standing where a received file goes (<see cref="DestinationSlot.IsWrittenInPlace"/>):
/// written in place, as a local copy writes it, never replaced. It is opened through the slot
/// (without following a link, checked to be the node that was seen; a FIFO waits for its reader)
/// and written in order from its start: a file's data arrives extent after extent, and the holes
/// between them are written as the zeros a local copy reads from them. Each write waits (Ctrl+C,
/// the data connection's time-out) while the node takes nothing.
/// </summary>
internal sealed class IncomingNode(SafeFileHandle handle, FileKind kind, string path, ReadinessWait wait) : IDisposable
{
    private static readonly byte[] Zeros = new byte[64 * 1024];

    public SafeFileHandle Handle { get; } = handle;

    public FileKind Kind { get; } = kind;

    public string Path { get; } = path;

    /// <summary>Where in the file the next byte written belongs.</summary>
    public long Position { get; private set; }

    public static IncomingNode Open(DestinationSlot slot, ReadinessWait wait) =>
        new(slot.OpenInPlace(wait), slot.Existing!.Value.Kind, slot.Path, wait);

    /// <summary>Writes <paramref name="bytes"/>, which belong at <paramref name="offset"/> of the file.</summary>
    public void Write(ReadOnlySpan<byte> bytes, long offset)
    {
        FillTo(offset);
        wait.WriteAll(Handle, bytes, Path);
        Position += bytes.Length;
    }

    /// <summary>Zeros up to <paramref name="offset"/> (a hole, or the holes at the end of the file).</summary>
    public void FillTo(long offset)
    {
        if (offset < Position)
        {
            throw new RemoteCopyException("DataConnectionLost", $"The content for '{Path}' came out of order; a FIFO or device is written in order, so the copy was abandoned.");
        }

        while (Position < offset)
        {
            int now = (int)Math.Min(Zeros.Length, offset - Position);
            wait.Cancellation.ThrowIfCancellationRequested();
            wait.WriteAll(Handle, Zeros.AsSpan(0, now), Path);
            Position += now;
        }
    }

    /// <summary>Writes the first <paramref name="length"/> bytes of <paramref name="file"/> (content
    /// received into a file first: a hard-link group's), its holes as zeros, by the engine.</summary>
    public CopyMethod CopyFrom(SafeFileHandle file, long length, string filePath)
    {
        var transfer = new ByteTransfer(file, FileKind.File, filePath, Handle, Kind, Path)
        {
            Limit = length - Position,
            SourceOffset = Position,
            SourceSize = length,
            Wait = wait,
        };
        var method = CopyEngine.Run(transfer, CopyMethod.Auto);
        Position += transfer.Copied;
        FillTo(length);
        return method;
    }

    /// <summary>Bytes written by another way (a splice from the socket) at the position.</summary>
    public void Advance(long bytes) => Position += bytes;

    public void Dispose() => Handle.Dispose();
}
