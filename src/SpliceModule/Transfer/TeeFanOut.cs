using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>Invoke-Tee to files: one source read once, written to several destinations. SourcePath
/// names the source to open (ignored by <see cref="TeeFanOut.CopyFrom(SpliceDescriptor, TeeRequest)"/>).</summary>
internal sealed record TeeRequest(string SourcePath, IReadOnlyList<string> DestinationPaths)
{
    public long Length { get; init; } = CopyJob.ToEnd;

    public bool Force { get; init; }

    public ReadinessWait Wait { get; init; } = new(default);
}

/// <summary>How one destination of a fan-out ended: its bytes, or why it failed.</summary>
internal sealed record TeeOutcome(string SourcePath, string DestinationPath, long Bytes, TimeSpan Duration, Exception? Failure)
{
    public SpliceTransferResult ToResult() => new(SourcePath, DestinationPath, Bytes, TransferMethod.Tee, Duration);
}

/// <summary>
/// Reads a source once and writes it to every destination without a byte entering user space:
/// each round splices up to a pipe's worth from the source into pipe P0, tee(2)s P0 into one
/// pipe per further destination, splices those out, and finally splices P0 itself into the first
/// destination. So FIFOs, sockets and /dev/stdin, which cannot be read twice, fan out too. A
/// destination that fails drops out with its error and the others carry on; new files appear
/// only when complete (<see cref="DestinationFile"/>).
/// </summary>
internal static class TeeFanOut
{
    /// <summary>Bytes per round. Each round's pages are copied once per file destination (splice
    /// into the page cache is a copy), so a round small enough to stay in the CPU's L2 cache for all
    /// of those copies beats a large one: 128 KiB rounds (as coreutils tee uses) ran 2-3x faster
    /// than 1 MiB rounds to 4 files on ext4. The tee pipes need hold no more than one round, and a
    /// FIFO source keeps its size: growing it to 1 MiB let its writer run ahead on the other core and
    /// made the rounds slower (the pages were no longer in this core's cache).</summary>
    internal const int RoundBytes = 128 * 1024;

    /// <summary>A FIFO source grows this far so that its writer can run ahead while a round is written out.</summary>
    private const int SourcePipeCapacity = SpliceStrategy.PreferredPipeCapacity;
    private const uint FillFlags = Flags.SPLICE_F_MOVE | Flags.SPLICE_F_MORE | Flags.SPLICE_F_NONBLOCK;

    public static IReadOnlyList<TeeOutcome> Copy(TeeRequest request)
    {
        var clock = Stopwatch.StartNew();
        var sourceStatus = Sys.Stat(request.SourcePath);
        switch (sourceStatus.Kind)
        {
            case FileKind.Directory:
                throw new CopyRefusedException(CopyRefusal.SourceIsDirectory, $"'{request.SourcePath}' is a directory; Invoke-Tee copies one file, FIFO or device.");
            case FileKind.Socket:
                throw new CopyRefusedException(CopyRefusal.SourceIsSocket, $"'{request.SourcePath}' is a socket; connect with Open-SpliceDescriptor -Uri unix://{request.SourcePath} and use Invoke-Splice.");
        }

        int flags = Flags.O_RDONLY | Flags.O_NOCTTY | (sourceStatus.Kind == FileKind.Fifo ? Flags.O_NONBLOCK : 0);
        using var source = Sys.Open(request.SourcePath, flags);
        var status = Sys.Stat(source, request.SourcePath);
        return CopyFrom(new Source(source, status, status.Kind, request.SourcePath), request, clock);
    }

    /// <summary>Fans out what an open descriptor delivers (a socket, a pipe, a FIFO, a file from its position).</summary>
    public static IReadOnlyList<TeeOutcome> CopyFrom(SpliceDescriptor source, TeeRequest request) =>
        CopyFrom(new Source(source.Handle, Sys.Stat(source.Handle, source.Path), source.Kind, source.DisplayName), request, Stopwatch.StartNew());

    private static IReadOnlyList<TeeOutcome> CopyFrom(Source source, TeeRequest request, Stopwatch clock)
    {
        var sourceStatus = source.Status;
        var sinks = request.DestinationPaths.Select(path => Sink.Open(path, sourceStatus, request)).ToList();
        try
        {
            var live = sinks.Where(s => s.Failure is null).ToList();
            if (live.Count > 0)
            {
                Pump(source, live, request);
            }

            foreach (var sink in live.Where(s => s.Failure is null))
            {
                // New files take the mode of a file or FIFO source; sockets (0777) and pipes give theirs to nobody.
                sink.Commit(source.Kind is FileKind.File or FileKind.Fifo ? sourceStatus : null);
            }

            return sinks.Select(s => new TeeOutcome(source.Path, s.Path, s.Bytes, clock.Elapsed, s.Failure)).ToList();
        }
        finally
        {
            foreach (var sink in sinks)
            {
                sink.Dispose();
            }
        }
    }

    private static void Pump(Source source, List<Sink> sinks, TeeRequest request)
    {
        var wait = request.Wait;
        using var front = PipeDrain.CreatePipe(RoundBytes);
        int capacity = EqualCapacities(front, sinks);

        SafeFileHandle? discard = null;
        try
        {
            PumpRounds(source, sinks, front, capacity, request.Length, wait, ref discard);
        }
        finally
        {
            discard?.Dispose();
        }
    }

    private static void PumpRounds(Source source, List<Sink> sinks, KernelPipe front, int capacity, long remaining, ReadinessWait wait, ref SafeFileHandle? discard)
    {
        // A FIFO opened before its writer reads as end of input, so the first round waits for data;
        // later rounds poll only when the source has nothing (EAGAIN), not once per round.
        bool isStream = source.Kind is not (FileKind.File or FileKind.BlockDevice);
        bool mustWait = isStream;

        while (remaining > 0 && sinks.Any(s => s.Failure is null))
        {
            wait.Cancellation.ThrowIfCancellationRequested();
            if (mustWait && !wait.Until(source.Handle, Flags.POLLIN, source.Path))
            {
                break;
            }

            long filled = Sys.Splice(source.Handle, Sys.CurrentPosition, front.WriteEnd.Handle, Sys.CurrentPosition, Math.Min(capacity, remaining), FillFlags, source.Path);
            mustWait = filled == Sys.WouldBlock;
            if (filled == 0)
            {
                break;
            }

            if (filled == Sys.WouldBlock)
            {
                continue;
            }

            var live = sinks.Where(s => s.Failure is null).ToList();
            foreach (var sink in live.Skip(1))
            {
                sink.Attempt(() => Duplicate(front, sink, filled, source.Path));
            }

            foreach (var sink in live.Skip(1))
            {
                sink.Attempt(() => PipeDrain.Into(sink.Pipe!, sink.File!.Handle, sink.Path, filled, wait), filled);
            }

            var first = live[0];
            first.Attempt(() => PipeDrain.Into(front, first.File!.Handle, first.Path, filled, wait), filled);
            if (front.BytesAvailable > 0)
            {
                // The first destination failed part-way: drop the rest of this round's bytes.
                discard ??= Sys.Open("/dev/null", Flags.O_WRONLY);
                PipeDrain.Into(front, discard, "/dev/null", front.BytesAvailable, wait);
            }

            remaining -= filled;
        }
    }

    private static void Duplicate(KernelPipe front, Sink sink, long count, string sourcePath)
    {
        long copied = Sys.Tee(front.ReadEnd.Handle, sink.Pipe!.WriteEnd.Handle, count, Flags.SPLICE_F_NONBLOCK, sourcePath, sink.Path);
        if (copied != count)
        {
            throw new SpliceException(Errno.EIO, "tee", sourcePath, sink.Path, $"tee(2) duplicated {Math.Max(copied, 0)} of {count} bytes into an empty pipe of the same size.");
        }
    }

    /// <summary>tee needs room for every page buffer of P0 in each destination pipe, so all pipes get P0's size (or the smallest granted).</summary>
    private static int EqualCapacities(KernelPipe front, List<Sink> sinks)
    {
        foreach (var sink in sinks.Skip(1))
        {
            sink.Pipe = PipeDrain.CreatePipe(front.Capacity);
        }

        int smallest = sinks.Skip(1).Select(s => s.Pipe!.Capacity).Append(front.Capacity).Min();
        foreach (var pipe in sinks.Skip(1).Select(s => s.Pipe!).Append(front).Where(p => p.Capacity != smallest))
        {
            pipe.Capacity = smallest;
        }

        return smallest;
    }

    /// <summary>The source; <paramref name="Kind"/> is the descriptor's own (fstat calls an anonymous pipe a FIFO).</summary>
    private readonly record struct Source(SafeHandle Handle, FileStatus Status, FileKind Kind, string Path);

    /// <summary>One destination: its file, its own pipe for tee, its count and its fate.</summary>
    private sealed class Sink : IDisposable
    {
        private Sink(string path)
        {
            Path = path;
        }

        public string Path { get; }

        public DestinationFile? File { get; private set; }

        public KernelPipe? Pipe { get; set; }

        public long Bytes { get; private set; }

        public Exception? Failure { get; private set; }

        public static Sink Open(string path, FileStatus sourceStatus, TeeRequest request)
        {
            var sink = new Sink(path);
            sink.Attempt(() => sink.File = DestinationFile.Open(path, sourceStatus, request.Force, request.Wait));
            return sink;
        }

        /// <summary>Runs one step for this destination; a failure ends this destination only (Ctrl+C ends all).</summary>
        public void Attempt(Action step, long bytes = 0)
        {
            if (Failure is not null)
            {
                return;
            }

            try
            {
                step();
                Bytes += bytes;
            }
            catch (Exception e) when (e is IOException or TimeoutException or UnauthorizedAccessException or TransferRefusedException)
            {
                Failure = e;
                File?.Dispose();
            }
        }

        public void Commit(FileStatus? sourceStatus) => Attempt(() => File!.Commit(sourceStatus));

        public void Dispose()
        {
            File?.Dispose();
            Pipe?.Dispose();
        }
    }
}
