using System;

namespace SpliceModule.Transfer;

/// <summary>Runs a <see cref="ByteTransfer"/> with the method asked for, or with the fastest that
/// works; a new file's blocks are reserved (<see cref="ByteTransfer.ReserveBytes"/>) once a method
/// that writes bytes rather than sharing blocks is about to run.</summary>
internal static class CopyEngine
{
    private static readonly CopyStrategy[] FastestFirst =
    {
        new ReflinkStrategy(),
        new CopyFileRangeStrategy(),
        new SpliceStrategy(),
        new SendFileStrategy(),
        new ReadWriteStrategy(),
    };

    /// <summary>Copies the transfer and returns the method that did it. A forced method that cannot
    /// work is a <see cref="SpliceRefusedException"/>, never a silent switch to another: one that
    /// cannot start at the transfer's explicit offsets is <see cref="Refusal.OffsetNotSupported"/>.</summary>
    /// <param name="startAt">For Auto: skip the strategies before this one, which earlier files
    /// of the same tree showed cannot work here (saves a refused call and its exception per file).</param>
    public static CopyMethod Run(ByteTransfer transfer, CopyMethod method, CopyMethod startAt = CopyMethod.Auto)
    {
        if (method == CopyMethod.Auto)
        {
            bool reserved = false;
            for (int i = Math.Max(0, IndexOf(startAt)); i < FastestFirst.Length; i++)
            {
                reserved = reserved || ReserveBefore(FastestFirst[i], transfer);
                if (Attempt(FastestFirst[i], transfer) is null)
                {
                    return FastestFirst[i].Method;
                }
            }

            throw new InvalidOperationException("ReadWrite copies everything it is given.");
        }

        var forced = Find(method)
            ?? throw new SpliceRefusedException(Refusal.MethodNotSupported, $"The {method} method does not apply to a kernel copy.");
        if (OffsetsRefused(forced, transfer) is { } offsets)
        {
            throw new SpliceRefusedException(
                Refusal.OffsetNotSupported,
                $"The {method} method cannot copy '{transfer.SourcePath}' to '{transfer.DestinationPath}': {offsets}.");
        }

        ReserveBefore(forced, transfer);
        string? whyNot = forced.TryCopy(transfer);
        if (whyNot is not null)
        {
            throw new SpliceRefusedException(
                Refusal.MethodNotSupported,
                $"The {method} method cannot copy '{transfer.SourcePath}' to '{transfer.DestinationPath}': {whyNot}");
        }

        return method;
    }

    /// <summary>Tries one method, for callers that choose the order themselves (Invoke-Splice):
    /// null when it copied everything, else why it could not start (nothing written). The same
    /// offsets rule as <see cref="Run"/>.</summary>
    public static string? TryWith(CopyMethod method, ByteTransfer transfer) =>
        Attempt(Find(method) ?? throw new ArgumentOutOfRangeException(nameof(method), method, "Not a kernel copy method."), transfer);

    private static CopyStrategy? Find(CopyMethod method) => IndexOf(method) is >= 0 and var i ? FastestFirst[i] : null;

    /// <summary>A loop rather than Array.FindIndex: a capturing predicate would cost two allocations per file of a tree.</summary>
    private static int IndexOf(CopyMethod method)
    {
        for (int i = 0; i < FastestFirst.Length; i++)
        {
            if (FastestFirst[i].Method == method)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Reserves the transfer's blocks before a strategy that writes bytes (not before a
    /// reflink, which shares the source's); true when it did.</summary>
    private static bool ReserveBefore(CopyStrategy strategy, ByteTransfer transfer)
    {
        if (strategy.SharesBlocks)
        {
            return false;
        }

        SpaceReservation.Reserve(transfer.Destination, 0, transfer.ReserveBytes);
        return true;
    }

    private static string? Attempt(CopyStrategy strategy, ByteTransfer transfer) =>
        OffsetsRefused(strategy, transfer) ?? strategy.TryCopy(transfer);

    /// <summary>The one place where explicit offsets meet a strategy that does not take them.</summary>
    private static string? OffsetsRefused(CopyStrategy strategy, ByteTransfer transfer) =>
        (transfer.ExplicitOffsets & ~strategy.OffsetsTaken) switch
        {
            TransferOffsets.None => null,
            TransferOffsets.Source => $"{strategy.Method} cannot start reading at an offset of the source",
            TransferOffsets.Destination => $"{strategy.Method} cannot start writing at an offset of the destination",
            _ => $"{strategy.Method} cannot start at offsets of the source and the destination",
        };
}
