using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

// Longer than 300 lines: the rounds of one fan-out and their per-destination bookkeeping (Sink) share one
// loop invariant; the source feeds are apart (PrivateFileFeed).

/// <summary>Invoke-Tee to files: one source read once, written to several destinations. SourcePath
/// names the source to open (ignored by <see cref="TeeFanOut.CopyFrom(SpliceDescriptor, TeeRequest)"/>).</summary>
internal sealed record TeeRequest(string SourcePath, IReadOnlyList<string> DestinationPaths)
{
    public long Length { get; init; } = ByteTransfer.ToEnd;

    public bool Force { get; init; }

    public ReadinessWait Wait { get; init; } = new(default);

    /// <summary>Called on the calling thread after each round with the bytes read from the source so
    /// far and the bytes expected (-Length, or a regular file's size; 0 when unknown).</summary>
    public Action<long, long>? Progress { get; init; }
}

/// <summary>What makes a fan-out's round ready at the head of its front pipe.</summary>
internal interface IRoundFill
{
    /// <summary>Up to <paramref name="most"/> bytes at the head of the front pipe: the count, 0 at
    /// the end of the source, or <see cref="Sys.WouldBlock"/> while it has nothing.</summary>
    long Fill(long most);

    /// <summary>Runs after each round, when the front pipe and every pipe of a destination are
    /// empty (a failed destination's pipe is closed).</summary>
    void RoundDone();
}

/// <summary>How one destination of a fan-out ended: its bytes, or why it failed.</summary>
internal sealed record TeeDestinationResult(string SourcePath, string DestinationPath, long Bytes, TimeSpan Duration, Exception? Failure)
{
    /// <summary>What the new file did not take from the source (setuid bits, a refused mode).</summary>
    public MetadataReport Metadata { get; init; }

    /// <summary>How the bytes reached this destination: Tee, or ReadWrite where it refuses splice(2).</summary>
    public TransferMethod Method { get; init; } = TransferMethod.Tee;

    public SpliceTransferResult ToResult() => new(SourcePath, DestinationPath, Bytes, Method, Duration);
}

/// <summary>
/// Reads a source once and writes it to every destination. Each round tee(2)s the bytes at the
/// head of a front pipe into one pipe per destination, splices those out, and then drops the round
/// from the front pipe. A pipe or FIFO source is its own front pipe (tee reads it in place); a
/// socket or character device is first spliced into a pipe of ours; neither brings a byte into
/// user space. A regular file or block device is read(2) once per round into private memory that
/// is vmspliced into a pipe of ours (<see cref="PrivateFileFeed"/>), the one copy coreutils tee
/// makes too: its spliced page-cache pages would let a writer reach some copies and not others.
/// So FIFOs, sockets and /dev/stdin, which cannot be read twice, fan out too, and the copies
/// agree with each other whatever the source does meanwhile. A character device that refuses
/// splice(2) as a source (/dev/vcs) is read as a file is; a destination that refuses to be
/// spliced into (/dev/full, /dev/kmsg) is written from its pipe by read/write, and its result
/// says ReadWrite. A destination that fails drops out with its error and the others carry on; new files appear only when complete
/// (<see cref="DestinationFile"/>).
/// </summary>
internal static class TeeFanOut
{
    /// <summary>Bytes per round when the source goes into a pipe of ours first (read from files and
    /// block devices, spliced from sockets and character devices): 128 KiB, as coreutils tee reads.</summary>
    internal const int RoundBytes = 128 * 1024;

    /// <summary>A FIFO source opened by path grows to this size and rounds take up to all of it:
    /// fewer, larger rounds of tee(2) in place beat both the FIFO's default size and coreutils tee
    /// (bench/results/NOTES.md).</summary>
    private const int SourcePipeCapacity = SpliceStrategy.PreferredPipeCapacity;

    /// <summary>
    /// Most bytes spliced into a destination file per call. Each call's length sets the size of the
    /// page-cache folios ext4 allocates, and on a VM that hands freed memory back to its host
    /// (virtio-balloon free page reporting) large folios come from memory the host must fault in
    /// again, so large calls made a fan-out to several files slow and erratic, and 16 KiB calls
    /// were the steadiest (bench/results/NOTES.md). Into one warm file large calls are faster, so
    /// only the fan-out, which allocates N times the source's size in page cache, writes files in
    /// slices; and not on tmpfs, which caches in base pages anyway and where the extra calls only
    /// cost.
    /// </summary>
    internal const int FileSliceBytes = 16 * 1024;

    private const uint FillFlags = Flags.SPLICE_F_MOVE | Flags.SPLICE_F_MORE | Flags.SPLICE_F_NONBLOCK;

    public static IReadOnlyList<TeeDestinationResult> Copy(TeeRequest request)
    {
        var clock = Stopwatch.StartNew();
        // Opened non-blocking, then looked at: a FIFO swapped in for a file cannot block open(2).
        var (source, status) = SourceFile.OpenNamed(request.SourcePath, "Invoke-Tee copies one file, FIFO or device");
        using (source)
        {
            if (status.Kind == FileKind.Fifo)
            {
                Sys.GrowPipe(source, SourcePipeCapacity, request.SourcePath);
            }

            return CopyFrom(new Source(source, status, status.Kind, request.SourcePath), request, clock);
        }
    }

    /// <summary>Fans out what an open descriptor delivers (a socket, a pipe, a FIFO, a file from its
    /// position). A pipe of the caller's keeps the size the caller gave it.</summary>
    public static IReadOnlyList<TeeDestinationResult> CopyFrom(SpliceDescriptor source, TeeRequest request) =>
        CopyFrom(new Source(source.Handle, Sys.Stat(source.Handle, source.Path), source.Kind, source.DisplayName), request, Stopwatch.StartNew());

    private static IReadOnlyList<TeeDestinationResult> CopyFrom(Source source, TeeRequest request, Stopwatch clock)
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

            return sinks.Select(s => new TeeDestinationResult(source.Path, s.Path, s.Bytes, clock.Elapsed, s.Failure) { Metadata = s.Metadata, Method = s.Method }).ToList();
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
        using var discard = Sys.Open("/dev/null", Flags.O_WRONLY);

        // fstat calls any pipe a FIFO: tee(2) can read it in place if every destination pipe can
        // take all that it holds.
        if (source.Status.Kind == FileKind.Fifo)
        {
            int capacity = Sys.GetPipeSize(source.Handle);
            if (GiveSinksPipes(sinks, capacity) >= capacity)
            {
                PumpRounds(source, sinks, source.Handle, new HeldInPlace(source.Handle, source.Path), capacity, request, discard);
                return;
            }
        }

        using var front = KernelPipe.ForTransfer(RoundBytes);
        int roundBytes = EqualCapacities(front, sinks);

        // The page cache of a regular file or block device belongs to whoever writes it next: take
        // each round out of it once. Pipes, FIFOs and sockets hand over pages that nobody else can
        // write, and character devices are copied into fresh pages.
        if (source.Status.Kind is FileKind.File or FileKind.BlockDevice)
        {
            using var feed = new PrivateFileFeed(source.Handle, source.Path, front, DestinationsCopy(sinks));
            PumpRounds(source, sinks, front.ReadEnd.Handle, feed, roundBytes, request, discard);
            return;
        }

        using var spliced = new SplicedIn(source.Handle, source.Path, front, DestinationsCopy(sinks));
        PumpRounds(source, sinks, front.ReadEnd.Handle, spliced, roundBytes, request, discard);
    }

    /// <summary>Every destination copies what it is given (a file or device), so that memory of a
    /// round that is done may be used again (<see cref="PrivateFileFeed"/>).</summary>
    private static bool DestinationsCopy(List<Sink> sinks) =>
        sinks.All(s => s.File!.Kind is FileKind.File or FileKind.BlockDevice or FileKind.CharacterDevice);

    /// <summary>Rounds until the source ends, -Length bytes are done or every destination has
    /// failed. <paramref name="fill"/> makes each round ready at the head of <paramref name="front"/>.</summary>
    private static void PumpRounds<TFill>(Source source, List<Sink> sinks, SafeHandle front, TFill fill, int roundBytes, TeeRequest request, SafeHandle discard)
        where TFill : IRoundFill
    {
        var wait = request.Wait;
        long remaining = request.Length;
        long expected = request.Progress is null ? 0 : Endpoint.ExpectedBytes(source.Handle, source.Kind, source.Path, null, request.Length == ByteTransfer.ToEnd ? null : request.Length);
        long done = 0;
        // A FIFO opened before its writer reads as end of input, so the first round waits for data;
        // later rounds poll only when the source has nothing, not once per round.
        var sourceReady = Readiness.ToRead(source.Handle, source.Path) with { WaitFirst = source.Kind is not (FileKind.File or FileKind.BlockDevice) };

        while (remaining > 0 && sinks.Any(s => s.Failure is null))
        {
            long filled = wait.Retry(new FillRound<TFill>(fill, Math.Min(roundBytes, remaining)), sourceReady);
            sourceReady = sourceReady with { WaitFirst = false };
            if (filled == 0)
            {
                break;
            }

            var live = sinks.Where(s => s.Failure is null).ToList();
            foreach (var sink in live)
            {
                sink.Attempt(() => Duplicate(front, sink, filled, source.Path));
            }

            foreach (var sink in live)
            {
                sink.Attempt(() => sink.Drain(filled, wait), filled);
            }

            // Every destination has its copy: drop the round from the front pipe (no copy into /dev/null).
            PipeDrain.Into(front, discard, "/dev/null", filled, wait);
            fill.RoundDone();
            remaining -= filled;
            done += filled;
            request.Progress?.Invoke(done, expected);
        }
    }

    private static void Duplicate(SafeHandle front, Sink sink, long count, string sourcePath)
    {
        long copied = Sys.Tee(front, sink.Pipe!.WriteEnd.Handle, count, Flags.SPLICE_F_NONBLOCK, sourcePath, sink.Path);
        if (copied != count)
        {
            throw new SpliceException(Errno.EIO, "tee", sourcePath, sink.Path, $"tee(2) duplicated {Math.Max(copied, 0)} of {count} bytes into an empty pipe of the same size.");
        }
    }

    /// <summary>Gives each destination an empty pipe for tee of up to <paramref name="capacity"/>
    /// bytes and returns the smallest size granted: tee needs room for every page buffer of the
    /// round, so a destination pipe must be as large as the front pipe.</summary>
    private static int GiveSinksPipes(List<Sink> sinks, int capacity)
    {
        foreach (var sink in sinks)
        {
            sink.Pipe?.Dispose();
            sink.Pipe = KernelPipe.ForTransfer(capacity);
        }

        return sinks.Select(s => s.Pipe!.Capacity).Min();
    }

    /// <summary>Our own front pipe and every destination pipe get the smallest size granted to any of them.</summary>
    private static int EqualCapacities(KernelPipe front, List<Sink> sinks)
    {
        int smallest = Math.Min(GiveSinksPipes(sinks, front.Capacity), front.Capacity);
        foreach (var pipe in sinks.Select(s => s.Pipe!).Append(front).Where(p => p.Capacity != smallest))
        {
            pipe.Capacity = smallest;
        }

        return smallest;
    }

    /// <summary>A FIFO or pipe source is its own front pipe: a round is what it holds.</summary>
    private readonly record struct HeldInPlace(SafeHandle Fifo, string Path) : IRoundFill
    {
        public long Fill(long most)
        {
            int available = Sys.BytesAvailable(Fifo, Path);
            return available == 0 ? Sys.WouldBlock : Math.Min(available, most);
        }

        public void RoundDone()
        {
        }
    }

    /// <summary>A socket or character device source is spliced into the front pipe of ours; a device
    /// that refuses splice(2) before its first byte (/dev/vcs) is read into private memory instead,
    /// as a file is (<see cref="PrivateFileFeed"/>).</summary>
    private sealed class SplicedIn(SafeHandle from, string path, KernelPipe front, bool destinationsCopy) : IRoundFill, IDisposable
    {
        private PrivateFileFeed? _read;
        private bool _spliced;

        public long Fill(long most)
        {
            if (_read is null)
            {
                try
                {
                    long filled = Sys.Splice(from, Sys.CurrentPosition, front.WriteEnd.Handle, Sys.CurrentPosition, most, FillFlags, path);
                    _spliced |= filled > 0;
                    return filled;
                }
                catch (SpliceException e) when (!_spliced && SpliceStrategy.CannotSplice(e))
                {
                    _read = new PrivateFileFeed(from, path, front, destinationsCopy);
                }
            }

            return _read.Fill(most);
        }

        public void RoundDone() => _read?.RoundDone();

        public void Dispose() => _read?.Dispose();
    }

    /// <summary>One round's fill as the call <see cref="ReadinessWait.Retry{TCall}(TCall, in Readiness)"/> makes.</summary>
    private readonly record struct FillRound<TFill>(TFill Feed, long Most) : INonBlockingCall
        where TFill : IRoundFill
    {
        public long Try() => Feed.Fill(Most);
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

        /// <summary>Tee or, where the destination refuses splice(2), ReadWrite (<see cref="Drain"/>).</summary>
        public TransferMethod Method { get; private set; } = TransferMethod.Tee;

        /// <summary>Most bytes per splice(2) into this destination (<see cref="FileSliceBytes"/>).</summary>
        public long WriteSlice { get; private set; } = long.MaxValue;

        public long Bytes { get; private set; }

        public Exception? Failure { get; private set; }

        public static Sink Open(string path, FileStatus sourceStatus, TeeRequest request)
        {
            var sink = new Sink(path);
            sink.Attempt(() =>
            {
                sink.File = DestinationFile.Open(path, sourceStatus, request.Force, request.Wait);
                if (SpliceStrategy.RefusalInto(sink.File.Handle, sink.File.Kind, path) is not null)
                {
                    sink.Method = TransferMethod.ReadWrite;
                }
                else if (sink.File.Kind == FileKind.File && Sys.FileSystemType(sink.File.Handle, path) != Flags.TMPFS_MAGIC)
                {
                    sink.WriteSlice = FileSliceBytes;
                }
            });
            return sink;
        }

        /// <summary>Empties this destination's pipe, which holds <paramref name="count"/> bytes, into
        /// its file: by splice(2), or by read(2) and write(2) where the file refuses splice.</summary>
        public void Drain(long count, ReadinessWait wait)
        {
            if (Method != TransferMethod.ReadWrite)
            {
                PipeDrain.Into(Pipe!.ReadEnd.Handle, File!.Handle, Path, count, wait, WriteSlice);
                return;
            }

            var transfer = new ByteTransfer(Pipe!.ReadEnd.Handle, FileKind.Pipe, Pipe.ToString(), File!.Handle, File.Kind, Path) { Limit = count, Wait = wait };
            CopyEngine.TryWith(CopyMethod.ReadWrite, transfer);
        }

        /// <summary>Runs one step for this destination; a failure ends this destination only (Ctrl+C ends all).
        /// Its pipe is closed with it, so that no page of a round stays referenced after the round.</summary>
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
            catch (Exception e) when (ItemFailure.IsExpected(e))
            {
                Failure = e;
                File?.Dispose();
                Pipe?.Dispose();
            }
        }

        public MetadataReport Metadata { get; private set; }

        public void Commit(FileStatus? sourceStatus) => Attempt(() => Metadata = File!.Commit(sourceStatus));

        public void Dispose()
        {
            File?.Dispose();
            Pipe?.Dispose();
        }
    }
}
