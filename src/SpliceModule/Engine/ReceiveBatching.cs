using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Wakes a TCP receiver once per batch instead of once per segment. While bytes arrive in bulk,
/// SO_RCVLOWAT keeps poll(2) quiet until <see cref="BatchBytes"/> are queued; otherwise a splice
/// loop on loopback wakes for every few segments, and each wake-up costs a poll and a splice.
/// <see cref="BatchBytes"/> was the best of the sizes tried (bench/results/NOTES.md).
/// A stream that slows down or pauses gets its bytes late by at most <see cref="ArmedWaitMs"/>:
/// when a batched wait runs out, the low-water mark goes back to the socket's own and the
/// receiver takes what is queued; only a splice that brings <see cref="BulkBytes"/> or more arms
/// the batch again. The socket's own low-water mark is restored when the transfer ends.
/// </summary>
internal sealed class ReceiveBatching : IDisposable
{
    internal const int BatchBytes = 256 * 1024;

    /// <summary>A splice that moves this much found a backlog: the sender is outrunning the receiver.</summary>
    internal const int BulkBytes = 64 * 1024;

    /// <summary>How long a batched wait may hold back bytes that are already queued.</summary>
    internal const int ArmedWaitMs = 5;

    private readonly SafeHandle socket;
    private readonly string path;
    private readonly int ownLowWater;
    private int lowWater;

    private ReceiveBatching(SafeHandle socket, string path, int ownLowWater)
    {
        this.socket = socket;
        this.path = path;
        this.ownLowWater = ownLowWater;
        lowWater = ownLowWater;
    }

    /// <summary>Batching for the transfer's source when it is a TCP socket (Unix-domain sockets ignore
    /// SO_RCVLOWAT in poll); null for every other source.</summary>
    public static ReceiveBatching? For(ByteTransfer transfer) =>
        transfer.SourceKind == FileKind.Socket ? For(transfer.Source, transfer.SourcePath) : null;

    /// <summary>Batching for a socket read by a loop of its own; null unless it is TCP.</summary>
    public static ReceiveBatching? For(SafeHandle socket, string path)
    {
        try
        {
            if (Sys.GetSocketOption(socket, Flags.SOL_SOCKET, Flags.SO_PROTOCOL, path) != Flags.IPPROTO_TCP)
            {
                return null;
            }

            return new ReceiveBatching(socket, path, Sys.GetSocketOption(socket, Flags.SOL_SOCKET, Flags.SO_RCVLOWAT, path));
        }
        catch (SpliceException)
        {
            // A socket that will not say what it is simply goes without batching.
            return null;
        }
    }

    public bool IsArmed => lowWater != ownLowWater;

    /// <summary>True when a batch (or the end of the stream) is ready to be taken. False when the
    /// caller should wait as usual: batching was off, or the batch did not fill in time and has
    /// been switched off, so that the usual wait sees every queued byte.</summary>
    public bool WaitForBatch()
    {
        if (!IsArmed)
        {
            return false;
        }

        if ((Sys.Poll(socket, Flags.POLLIN, ArmedWaitMs, path) & Flags.POLLIN) != 0)
        {
            return true;
        }

        SetLowWater(ownLowWater);
        return false;
    }

    /// <summary>Arms batching after a splice that found a backlog, never asking for more than the
    /// transfer still expects (a -Length that ends mid-batch must not wait for bytes that never come).</summary>
    public void Observe(long moved, long remaining)
    {
        if (!IsArmed && moved < BulkBytes)
        {
            return;
        }

        int wanted = Math.Max(ownLowWater, (int)Math.Min(BatchBytes, remaining));
        if (wanted != lowWater)
        {
            SetLowWater(wanted);
        }
    }

    public void Dispose()
    {
        if (!IsArmed || socket.IsClosed)
        {
            return;
        }

        try
        {
            SetLowWater(ownLowWater);
        }
        catch (SpliceException)
        {
            // The peer reset the connection; the socket is of no further use either way.
        }
    }

    private void SetLowWater(int bytes)
    {
        Sys.SetSocketOption(socket, Flags.SOL_SOCKET, Flags.SO_RCVLOWAT, bytes, path);
        lowWater = bytes;
    }
}
