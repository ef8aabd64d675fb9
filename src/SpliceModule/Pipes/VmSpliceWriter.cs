using System;
using System.Diagnostics;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Write-VmSplice's engine: maps bytes into a pipe with vmsplice(2). Either into a pipe that
/// something else drains (a full pipe is waited on, Ctrl+C and time-out honoured), or, with a
/// destination, into a pipe of its own that it splices on into the destination after every
/// mapping, so the destination gets exactly the bytes in order. A destination that splice(2)
/// cannot write (an O_APPEND file, a device without splice support such as /dev/full or
/// /dev/kmsg: <see cref="SpliceStrategy.RefusalInto"/>) is written with write(2) instead, and the
/// result says so.
/// Into a pipe that something else drains, writes smaller than <see cref="CoalesceBelow"/> are
/// gathered into whole pages (<see cref="SplicePageArena.TryStage"/>), so that short strings fill
/// the pipe's bytes rather than its sixteen-odd buffer slots; while the pipe is empty (its reader
/// is keeping up and may be waiting) they go in at once, and <see cref="Flush"/> maps what is left.
/// </summary>
internal sealed unsafe class VmSpliceWriter : IDisposable
{
    private const uint MapFlags = Flags.SPLICE_F_NONBLOCK;

    /// <summary>A write this long fills a default pipe by itself, so gathering it would gain nothing.</summary>
    internal const int CoalesceBelow = 64 * 1024;

    private readonly SplicePageArena _arena = new();
    private readonly KernelPipe? _ownPipe;
    private readonly SpliceDescriptor _writeEnd;
    private readonly string _writeName;
    private readonly SpliceDescriptor? _destination;
    private readonly ReadinessWait _wait;
    private readonly Stopwatch _clock = new();
    private bool _writesDirectly;
    private bool _destinationCopies;
    private bool _coalesce;

    private VmSpliceWriter(SpliceDescriptor writeEnd, string writeName, KernelPipe? ownPipe, SpliceDescriptor? destination, ReadinessWait wait)
    {
        _writeEnd = writeEnd;
        _writeName = writeName;
        _ownPipe = ownPipe;
        _destination = destination;
        _wait = wait;
    }

    public long Bytes { get; private set; }

    public string Target => _destination?.DisplayName ?? _writeName;

    /// <summary>Writes into <paramref name="pipe"/>, which a reader elsewhere drains.</summary>
    public static VmSpliceWriter IntoPipe(KernelPipe pipe, ReadinessWait wait)
    {
        return new VmSpliceWriter(Endpoint.AsDestination(pipe), pipe.ToString(), null, null, wait) { _coalesce = true };
    }

    /// <summary>Writes into a pipe of its own and splices on into <paramref name="destination"/>.</summary>
    public static VmSpliceWriter Through(SpliceDescriptor destination, ReadinessWait wait)
    {
        destination = Endpoint.AsDestination(destination);
        if (SpliceStrategy.RefusalInto(destination.Handle, destination.Kind, destination.DisplayName) is not null)
        {
            return new VmSpliceWriter(destination, destination.DisplayName, null, null, wait) { _writesDirectly = true };
        }

        var pipe = KernelPipe.ForTransfer(SpliceStrategy.PreferredPipeCapacity);
        return new VmSpliceWriter(pipe.WriteEnd, pipe.ToString(), pipe, destination, wait)
        {
            // splice into a file or device copies (or drops) the bytes; into a pipe or socket it
            // passes page references on, which must never see the memory reused.
            _destinationCopies = destination.Kind is FileKind.File or FileKind.BlockDevice or FileKind.CharacterDevice,
        };
    }

    public SpliceTransferResult Result => new("memory", Target, Bytes, _writesDirectly ? TransferMethod.ReadWrite : TransferMethod.VmSplice, _clock.Elapsed);

    public void Write(ReadOnlySpan<byte> data)
    {
        _clock.Start();
        try
        {
            if (_writesDirectly)
            {
                WriteAll(data);
                return;
            }

            if (_coalesce && data.Length < CoalesceBelow)
            {
                Stage(data);
                return;
            }

            MapStaged(wholePagesOnly: false);
            while (!data.IsEmpty)
            {
                var (memory, length) = _arena.Place(data);
                MapIntoPipe((byte*)memory, length);
                data = data[length..];
                if (_destinationCopies)
                {
                    _arena.Rewind(); // our pipe is empty again and the destination has its own copy
                }
            }
        }
        finally
        {
            _clock.Stop();
        }
    }

    /// <summary>Maps the bytes still gathered: the end of the input, or before a caller reports.</summary>
    public void Flush()
    {
        _clock.Start();
        try
        {
            MapStaged(wholePagesOnly: false);
        }
        finally
        {
            _clock.Stop();
        }
    }

    public void Dispose()
    {
        _arena.Dispose();
        _ownPipe?.Dispose();
    }

    private void Stage(ReadOnlySpan<byte> data)
    {
        if (!_arena.TryStage(data))
        {
            MapStaged(wholePagesOnly: false);
            _arena.TryStage(data);
        }

        // An empty pipe's reader is keeping up, and may be waiting for these very bytes; a pipe that
        // holds bytes gets whole pages only, one buffer slot each.
        MapStaged(wholePagesOnly: Sys.BytesAvailable(_writeEnd.Handle, _writeName) > 0);
    }

    private void MapStaged(bool wholePagesOnly)
    {
        var (memory, length) = _arena.TakeStaged(wholePagesOnly);
        if (length > 0)
        {
            MapIntoPipe((byte*)memory, length);
        }
    }

    private void WriteAll(ReadOnlySpan<byte> data)
    {
        var ready = Readiness.ToWrite(_writeEnd.Handle, _writeName);
        fixed (byte* bytes = data)
        {
            for (long written = 0; written < data.Length;)
            {
                long moved = _wait.Retry(new WriteCall(_writeEnd.Handle, (nint)(bytes + written), (int)(data.Length - written), Sys.CurrentPosition, _writeName), ready);
                written += moved;
                Bytes += moved;
            }
        }
    }

    private void MapIntoPipe(byte* memory, long length)
    {
        var pipeReady = Readiness.ToWrite(_writeEnd.Handle, _writeName);
        while (length > 0)
        {
            long mapped = _wait.Retry(new VmSpliceCall(_writeEnd.Handle, (nint)memory, length, MapFlags, _writeName), pipeReady);
            if (_destination is not null)
            {
                PipeDrain.Into(_ownPipe!, _destination.Handle, _destination.DisplayName, mapped, _wait);
            }

            memory += mapped;
            length -= mapped;
            Bytes += mapped;
        }
    }
}
