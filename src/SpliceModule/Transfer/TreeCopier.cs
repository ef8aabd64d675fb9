using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>Hears about a tree copy as it goes; always called on the thread that runs
/// <see cref="TreeCopier.Copy"/>, so a cmdlet may write to the pipeline from here.</summary>
internal interface ITreeCopyObserver
{
    /// <summary>An item is in place; <paramref name="file"/> is null for directories, links and nodes.</summary>
    void ItemCopied(TreeEntry entry, string destinationPath, FileCopyResult? file);

    /// <summary>One item failed; the rest go on (what it held is skipped).</summary>
    void ItemFailed(TreeEntry entry, string destinationPath, Exception error);

    /// <summary>Bytes and items done so far over the whole tree, including inside the current files;
    /// <paramref name="currentItem"/> is the file being copied, or null when several are.</summary>
    void Progress(long bytesDone, int itemsDone, string? currentItem);
}

/// <summary>
/// Copies a walked tree in three passes: directories (made writable for the copy), then files,
/// links and special files (on <c>throttleLimit</c> threads), then directory modes and times,
/// deepest first, so that writing into a directory does not undo its preserved time and a
/// read-only source directory is read-only only once it is full.
/// </summary>
internal static class TreeCopier
{
    private const int DirectoryFlags = Flags.O_RDONLY | Flags.O_DIRECTORY;

    public static void Copy(TreePlan plan, string destinationRoot, FileCopyRequest fileOptions, int throttleLimit, ITreeCopyObserver observer)
    {
        var entries = plan.Entries;
        RefuseDestinationInsideSource(entries[0], destinationRoot);
        var targets = new string[entries.Count];
        var failed = new bool[entries.Count];
        var made = new MadeDirectory[entries.Count];
        var leaves = new List<int>();
        for (int i = 0; i < entries.Count; i++)
        {
            fileOptions.Cancellation.ThrowIfCancellationRequested();
            var entry = entries[i];
            targets[i] = entry.DestinationRelative.Length == 0 ? destinationRoot : destinationRoot + "/" + entry.DestinationRelative;
            if (entry.Parent >= 0 && failed[entry.Parent])
            {
                failed[i] = true;
                continue;
            }

            if (entry.Problem is not null)
            {
                failed[i] = true;
                observer.ItemFailed(entry, targets[i], entry.Problem);
            }
            else if (!entry.IsDirectory)
            {
                leaves.Add(i);
            }
            else if (Attempt(() => made[i] = MakeDirectory(entry, targets[i]), entry, targets[i], observer))
            {
                observer.ItemCopied(entry, targets[i], null);
            }
            else
            {
                failed[i] = true;
            }
        }

        var leafCopier = new LeafCopier(plan, targets, made, leaves, fileOptions, observer);
        if (throttleLimit > 1 && leaves.Count > throttleLimit)
        {
            leafCopier.RunParallel(throttleLimit);
        }
        else
        {
            leafCopier.RunHere();
        }

        for (int i = entries.Count - 1; i >= 0; i--)
        {
            if (entries[i].IsDirectory && !failed[i])
            {
                fileOptions.Cancellation.ThrowIfCancellationRequested();
                var entry = entries[i];
                Attempt(() => ApplyDirectoryMetadata(entry, targets[i], fileOptions.Preserve), entry, targets[i], observer);
            }
        }
    }

    /// <summary>Refuses to copy a directory into itself or below itself: checked by inode on each
    /// existing ancestor of the destination, so symbolic links and bind mounts cannot hide it.</summary>
    private static void RefuseDestinationInsideSource(TreeEntry root, string destinationRoot)
    {
        for (string? path = destinationRoot; !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
        {
            if (Sys.TryStat(path) is { } status && status.IsSameFile(root.Status))
            {
                throw new CopyRefusedException(CopyRefusal.DestinationInsideSource, $"Cannot copy directory '{root.SourcePath}' into itself ('{destinationRoot}').");
            }
        }
    }

    /// <summary>Makes the directory unless it is there; says which, and its file system.</summary>
    private static MadeDirectory MakeDirectory(TreeEntry entry, string target)
    {
        var existing = Sys.TryStat(target, followSymlinks: false);
        switch (existing?.Kind)
        {
            case null:
                Directory.CreateDirectory(target);
                return new MadeDirectory(true, Sys.Stat(target, followSymlinks: false).Device);
            case FileKind.Directory:
                return new MadeDirectory(false, existing.Value.Device);
            case FileKind.SymbolicLink:
                throw new CopyRefusedException(CopyRefusal.DestinationIsSymlink, $"Cannot copy directory '{entry.SourcePath}' to '{target}': a symbolic link stands there, and nothing is written through one.");
            default:
                throw new CopyRefusedException(CopyRefusal.DirectoryOntoFile, $"Cannot copy directory '{entry.SourcePath}' onto the existing file '{target}'.");
        }
    }

    private static void ApplyDirectoryMetadata(TreeEntry entry, string target, CopyPreserve preserve)
    {
        if (preserve == CopyPreserve.None)
        {
            return;
        }

        using var source = Sys.Open(entry.SourcePath, DirectoryFlags);
        using var destination = Sys.Open(target, DirectoryFlags | Flags.O_NOFOLLOW);
        MetadataCopier.Apply(source, entry.Status, destination, preserve, entry.SourcePath, target);
    }

    /// <summary>A destination directory: <see cref="Created"/> by this copy (so it held nothing
    /// when its items started), and the file system it is on.</summary>
    private readonly record struct MadeDirectory(bool Created, ulong Device);

    /// <summary>Runs one item's step; a failure is reported and the tree goes on (Ctrl+C does not).</summary>
    private static bool Attempt(Action step, TreeEntry entry, string target, ITreeCopyObserver observer)
    {
        try
        {
            step();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            observer.ItemFailed(entry, target, e);
            return false;
        }
    }

    /// <summary>The second pass: every item that is not a directory.</summary>
    private sealed class LeafCopier
    {
        private readonly TreePlan _plan;
        private readonly string[] _targets;
        private readonly MadeDirectory[] _made;
        private readonly List<int> _leaves;
        private readonly FileCopyRequest _options;
        private readonly ITreeCopyObserver _observer;
        private readonly MethodMemo _methods = new();
        private readonly ConcurrentQueue<Outcome> _finished = new();
        private readonly Action<long> _reportFromHere;
        /// <summary>Per helper: bytes of the files it finished plus the one it is on, so progress
        /// counts its work before this thread gets round to reporting the files.</summary>
        private long[] _helpersBytes = Array.Empty<long>();
        private string? _current;
        private long _ownBytes;
        private int _itemsDone;
        private LeafRanges _ranges = new(0, 1);

        public LeafCopier(TreePlan plan, string[] targets, MadeDirectory[] made, List<int> leaves, FileCopyRequest options, ITreeCopyObserver observer)
        {
            _plan = plan;
            _targets = targets;
            _made = made;
            _leaves = leaves;
            _options = options;
            _observer = observer;
            _reportFromHere = ReportFromHere;
        }

        public void RunHere()
        {
            foreach (int index in _leaves)
            {
                _options.Cancellation.ThrowIfCancellationRequested();
                CopyHere(_options, index);
            }
        }

        /// <summary>
        /// This thread copies too, beside <c>workers - 1</c> helpers, and between its own files
        /// reports what the helpers finished (in the order they finished): on two cores a thread
        /// that only waits for outcomes costs a wake-up per file and a core's share. It returns
        /// only when every helper has stopped, so no temporary file is left behind by Ctrl+C.
        /// </summary>
        public void RunParallel(int workers)
        {
            // Helpers stop on Ctrl+C, and also when this thread leaves early (an observer that
            // throws, as -ErrorAction Stop makes WriteError do): no copy may outlive the call.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(_options.Cancellation);
            var options = _options with { Cancellation = stop.Token };
            _helpersBytes = new long[workers - 1];
            _ranges = new LeafRanges(_leaves.Count, workers);
            var helpers = new Task[workers - 1];
            for (int h = 0; h < helpers.Length; h++)
            {
                int helper = h;
                helpers[h] = Task.Factory.StartNew(() => RunHelper(options, helper, stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            try
            {
                int position;
                while ((position = _ranges.Claim(0)) >= 0)
                {
                    _options.Cancellation.ThrowIfCancellationRequested();
                    CopyHere(options, _leaves[position]);
                    DeliverFinished();
                }

                while (!Task.WaitAll(helpers, 200))
                {
                    DeliverFinished();
                    _observer.Progress(BytesDone(), _itemsDone, null);
                }

                DeliverFinished();
            }
            finally
            {
                stop.Cancel();
                Task.WaitAll(helpers);
            }

            _options.Cancellation.ThrowIfCancellationRequested();
        }

        private void RunHelper(FileCopyRequest options, int helper, CancellationToken stop)
        {
            int position;
            while (!stop.IsCancellationRequested && (position = _ranges.Claim(helper + 1)) >= 0)
            {
                long finished = Volatile.Read(ref _helpersBytes[helper]);
                var outcome = CopyLeaf(options, _leaves[position], bytes => Volatile.Write(ref _helpersBytes[helper], finished + bytes));
                Volatile.Write(ref _helpersBytes[helper], finished + (outcome.File?.Bytes ?? 0));
                _finished.Enqueue(outcome);
                if (outcome.Error is OperationCanceledException)
                {
                    break;
                }
            }
        }

        private void DeliverFinished()
        {
            while (_finished.TryDequeue(out var outcome))
            {
                Deliver(outcome);
            }
        }

        /// <summary>A file copied on this thread, reported at once.</summary>
        private void CopyHere(FileCopyRequest options, int index)
        {
            _current = _plan.Entries[index].SourcePath;
            var outcome = CopyLeaf(options, index, _reportFromHere);
            _ownBytes += outcome.File?.Bytes ?? 0;
            Deliver(outcome);
        }

        /// <summary>Bytes copied so far, whichever thread copied them and whether or not this
        /// thread has reported their files yet; without the file this thread is on.</summary>
        private long BytesDone()
        {
            long done = _ownBytes;
            for (int h = 0; h < _helpersBytes.Length; h++)
            {
                done += Volatile.Read(ref _helpersBytes[h]);
            }

            return done;
        }

        /// <summary>Progress inside a file this thread is copying (one callback for all of them:
        /// no closure per file).</summary>
        private void ReportFromHere(long bytes) =>
            _observer.Progress(BytesDone() + bytes, _itemsDone, _helpersBytes.Length == 0 ? _current : null);

        private Outcome CopyLeaf(FileCopyRequest options, int index, Action<long> progress)
        {
            var entry = _plan.Entries[index];
            string target = _targets[index];
            try
            {
                switch (entry.Status.Kind)
                {
                    case FileKind.File:
                        // Without containers every file lands in the destination root, where names may repeat.
                        var holder = _made[_plan.KeepsContainers ? entry.Parent : 0];
                        var devices = (entry.Status.Device, holder.Device);
                        var result = FileCopier.Copy(options.For(entry.SourcePath, target, holder.Created && _plan.KeepsContainers, _methods.StartFor(devices), progress));
                        _methods.Learn(devices, result);
                        return new Outcome(index, result, null);
                    case FileKind.SymbolicLink:
                        NodeCopier.CopyLink(entry.SourcePath, entry.Status, target, options.Preserve);
                        break;
                    default:
                        NodeCopier.CopyNode(entry.Status, entry.SourcePath, target, options.Preserve);
                        break;
                }

                return new Outcome(index, null, null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
            {
                return new Outcome(index, null, e);
            }
        }

        private void Deliver(Outcome outcome)
        {
            var entry = _plan.Entries[outcome.Index];
            string target = _targets[outcome.Index];
            if (outcome.Error is OperationCanceledException cancelled)
            {
                throw cancelled;
            }

            _itemsDone++;
            if (outcome.Error is not null)
            {
                _observer.ItemFailed(entry, target, outcome.Error);
                return;
            }

            _observer.ItemCopied(entry, target, outcome.File);
            _observer.Progress(BytesDone(), _itemsDone, entry.SourcePath);
        }

        private readonly record struct Outcome(int Index, FileCopyResult? File, Exception? Error);
    }

    /// <summary>
    /// Hands out the leaves to workers: each starts on its own contiguous share (so two workers
    /// are mostly in different directories, whose locks creating and renaming files take) and,
    /// when it is done, helps with the others' shares. Claims are atomic increments, so a leaf
    /// goes to exactly one worker.
    /// </summary>
    private sealed class LeafRanges
    {
        private readonly int[] _cursors;
        private readonly int[] _ends;

        public LeafRanges(int count, int workers)
        {
            _cursors = new int[workers];
            _ends = new int[workers];
            for (int w = 0; w < workers; w++)
            {
                _cursors[w] = (int)((long)count * w / workers) - 1;
                _ends[w] = (int)((long)count * (w + 1) / workers);
            }
        }

        /// <summary>The next leaf for <paramref name="worker"/>, or -1 when none is left.</summary>
        public int Claim(int worker)
        {
            for (int k = 0; k < _cursors.Length; k++)
            {
                int range = (worker + k) % _cursors.Length;
                if (Volatile.Read(ref _cursors[range]) < _ends[range] - 1)
                {
                    int position = Interlocked.Increment(ref _cursors[range]);
                    if (position < _ends[range])
                    {
                        return position;
                    }
                }
            }

            return -1;
        }
    }

    /// <summary>
    /// Remembers, per pair of source and destination file systems, the method that copied a file
    /// with data: the strategies before it refused and will refuse for every other file between
    /// the same two too (FICLONE on ext4, copy_file_range across some), and a refusal costs a
    /// failed call and an exception per file. Empty files teach nothing (they skip
    /// copy_file_range by design).
    /// </summary>
    private sealed class MethodMemo
    {
        private readonly ConcurrentDictionary<(ulong Source, ulong Destination), CopyMethod> _byDevices = new();

        public CopyMethod StartFor((ulong Source, ulong Destination) devices) =>
            _byDevices.TryGetValue(devices, out var method) ? method : CopyMethod.Auto;

        public void Learn((ulong Source, ulong Destination) devices, FileCopyResult result)
        {
            if (result.Bytes > 0 && !result.Sparse && result.Method != CopyMethod.PlatformCopy)
            {
                _byDevices.TryAdd(devices, result.Method);
            }
        }
    }
}
