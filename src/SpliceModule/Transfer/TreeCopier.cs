using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>Hears about a tree copy as it goes; always called on the thread that runs
/// <see cref="TreeCopier.Copy"/>, so a cmdlet may write to the pipeline from here.</summary>
internal interface ITreeCopyObserver
{
    /// <summary>An item is in place; <paramref name="file"/> is null for directories, links and nodes.</summary>
    void ItemCopied(string sourcePath, string destinationPath, FileCopyResult? file, MetadataReport metadata);

    /// <summary>A directory, now complete, did not get all of its source's metadata (said at the end, as a directory's metadata comes last).</summary>
    void MetadataNotice(string destinationPath, MetadataReport metadata);

    /// <summary>One item failed; the rest go on (what it held is skipped).</summary>
    void ItemFailed(string sourcePath, string destinationPath, Exception error);

    /// <summary>Bytes and items done so far over the whole tree, including inside the current files;
    /// <paramref name="currentItem"/> is the file last finished or being copied.</summary>
    void Progress(long bytesDone, int itemsDone, string? currentItem);
}

/// <summary>
/// Copies a walked tree one directory at a time, every step relative to held directory
/// descriptors: a directory's task opens its source (checked to be the one the walk saw) and
/// makes its destination (0700, checked to be ours and empty), queues its subdirectories, copies
/// its files, links and nodes, and when everything below it is done gives it its mode and times
/// (so writing inside does not undo a preserved time, and a read-only directory is read-only only
/// once full). Workers take tasks from one stack, so descriptors stay open only along the
/// directories being worked on. On every way out (error, -ErrorAction Stop, Ctrl+C) each
/// directory begun gets its mode, never wider than its source's.
/// </summary>
internal static class TreeCopier
{
    public static void Copy(TreePlan plan, string destinationRoot, FileCopyRequest options, int throttleLimit, ITreeCopyObserver observer)
    {
        using var root = DestinationSlot.Resolve(destinationRoot);
        RefuseDestinationInsideSource(plan, root);
        new TreeRun(plan, root, destinationRoot, options, throttleLimit, observer).Run();
    }

    /// <summary>Refuses to copy a directory into itself or below itself: checked by inode on the
    /// destination and each of its ancestors, walked up through '..' from the held directory, so
    /// symbolic links (l -> a/sub) and bind mounts cannot hide it.</summary>
    private static void RefuseDestinationInsideSource(TreePlan plan, DestinationSlot root)
    {
        var source = plan.Root.Status;
        if (Sys.TryStatAt(root.Directory.Handle, root.Name, followSymlinks: true, root.Path) is { } existing && existing.IsSameFile(source))
        {
            throw Inside(plan, root.Path);
        }

        DirectoryHandle? current = null;
        try
        {
            var status = root.Directory.Status;
            while (!status.IsSameFile(source))
            {
                var parent = (current ?? root.Directory).OpenParent();
                current?.Dispose();
                current = parent;
                if (parent.Status.IsSameFile(status))
                {
                    return; // '/' is its own parent
                }

                status = parent.Status;
            }

            throw Inside(plan, root.Path);
        }
        finally
        {
            current?.Dispose();
        }
    }

    private static CopyRefusedException Inside(TreePlan plan, string destination) =>
        new(CopyRefusal.DestinationInsideSource, $"Cannot copy directory '{plan.RootPath}' into itself ('{destination}').");

    /// <summary>One copy of one tree: the task stack, the workers and what they report.</summary>
    private sealed class TreeRun
    {
        /// <summary>Leaves of one directory handed out together: a huge flat directory runs on every worker.</summary>
        private const int LeafBatch = 128;

        private readonly TreePlan _plan;
        private readonly DestinationSlot _root;
        private readonly string _destinationRoot;
        private readonly FileCopyRequest _options;
        private readonly ITreeCopyObserver _observer;
        private readonly int _workers;
        private readonly object _gate = new();
        private readonly Stack<Work> _tasks = new();
        private readonly List<DirectoryWork> _begun = new();
        private readonly ConcurrentQueue<Outcome> _finished = new();
        private readonly MethodMemo _methods = new();
        private readonly WorkerProgress[] _progress;
        private int _running;
        private bool _stopping;
        private Exception? _fault;
        private int _itemsDone;
        private string? _current;

        public TreeRun(TreePlan plan, DestinationSlot root, string destinationRoot, FileCopyRequest options, int throttleLimit, ITreeCopyObserver observer)
        {
            _plan = plan;
            _root = root;
            _destinationRoot = destinationRoot;
            _options = options;
            _observer = observer;
            _workers = throttleLimit > 1 && plan.FileCount > throttleLimit ? throttleLimit : 1;
            _progress = new WorkerProgress[_workers];
            _progress[0] = new WorkerProgress(bytes => ReportFromHere(bytes));
            for (int w = 1; w < _workers; w++)
            {
                _progress[w] = new WorkerProgress(null);
            }
        }

        public void Run()
        {
            // Helpers stop on Ctrl+C, and also when this thread leaves early (an observer that
            // throws, as -ErrorAction Stop makes WriteError do): no copy may outlive the call.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(_options.Cancellation);
            var options = _options with { Cancellation = stop.Token };
            var helpers = new Task[_workers - 1];
            Push(new Work(null, 0, 0, 0));
            for (int h = 0; h < helpers.Length; h++)
            {
                int worker = h + 1;
                helpers[h] = Task.Factory.StartNew(() => Help(options, worker), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            try
            {
                while (Next(main: true) is { } work)
                {
                    Process(options, work, 0);
                    Done();
                    Deliver();
                }

                Deliver();
            }
            finally
            {
                Stop();
                stop.Cancel();
                Task.WaitAll(helpers);
                FinishAbandoned();
            }

            if (_fault is not null)
            {
                throw new InvalidOperationException($"A tree copy worker failed: {_fault.Message}", _fault);
            }

            _options.Cancellation.ThrowIfCancellationRequested();
        }

        private void Help(FileCopyRequest options, int worker)
        {
            try
            {
                while (Next(main: false) is { } work)
                {
                    Process(options, work, worker);
                    Done();
                }
            }
            catch (Exception e)
            {
                _fault ??= e;
                Stop();
            }
        }

        /// <summary>The next task, or null when the tree is done or stopping. This thread (main) wakes
        /// every 200 ms while others work, to pass on what they finished.</summary>
        private Work? Next(bool main)
        {
            while (true)
            {
                lock (_gate)
                {
                    while (_tasks.Count == 0 && _running > 0 && !_stopping)
                    {
                        if (!Monitor.Wait(_gate, main ? 200 : Timeout.Infinite) && main)
                        {
                            break;
                        }
                    }

                    if (_stopping || (_tasks.Count == 0 && _running == 0))
                    {
                        return null;
                    }

                    if (_tasks.Count > 0)
                    {
                        _running++;
                        return _tasks.Pop();
                    }
                }

                Deliver();
                _observer.Progress(BytesDone(), _itemsDone, _current);
            }
        }

        private void Push(Work work)
        {
            lock (_gate)
            {
                _tasks.Push(work);
                Monitor.Pulse(_gate);
            }
        }

        private void Done()
        {
            lock (_gate)
            {
                _running--;
                if (_running == 0 && _tasks.Count == 0)
                {
                    Monitor.PulseAll(_gate);
                }
            }
        }

        private void Stop()
        {
            lock (_gate)
            {
                _stopping = true;
                Monitor.PulseAll(_gate);
            }
        }

        private void Process(FileCopyRequest options, Work work, int worker)
        {
            try
            {
                if (work.Index >= 0)
                {
                    Begin(options, work.Parent, work.Index, worker);
                }
                else
                {
                    CopyLeaves(options, work.Parent!, work.From, work.To, worker);
                    Release(work.Parent!);
                }
            }
            catch (OperationCanceledException)
            {
                Stop();
            }
        }

        /// <summary>Opens a directory's source, makes its destination, queues its subdirectories and copies its own items.</summary>
        private void Begin(FileCopyRequest options, DirectoryWork? parent, int index, int worker)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            var entry = _plan.Entries[index];
            string sourcePath = _plan.SourcePathOf(index), destinationPath = _plan.DestinationPathOf(index, _destinationRoot);
            DirectoryHandle? source = null;
            DirectoryHandle destination;
            bool ownsDestination = parent is null || _plan.KeepsContainers;
            try
            {
                if (entry.Problem is not null)
                {
                    throw entry.Problem;
                }

                source = parent is null ? _plan.Root : parent.Source.OpenChild(entry.Name, _plan.FollowsSymlinks, entry.Status);
                destination = parent is null
                    ? _root.Directory.MakeOrOpenChild(_root.Name, sourcePath)
                    : _plan.KeepsContainers ? parent.Destination.MakeOrOpenChild(entry.Name, sourcePath) : parent.Destination;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (parent is not null)
                {
                    source?.Dispose();
                }

                _finished.Enqueue(new Outcome(sourcePath, destinationPath, null, default, e, false));
                if (parent is not null)
                {
                    Release(parent);
                }

                return;
            }

            if (ownsDestination && !destination.CreatedByThisCopy)
            {
                StaleTemporaryFiles.SweepOnce(destination);
            }

            var work = new DirectoryWork(index, parent, source, parent is not null, destination, ownsDestination);
            lock (_gate)
            {
                _begun.Add(work);
            }

            if (ownsDestination)
            {
                _finished.Enqueue(new Outcome(sourcePath, destinationPath, null, default, null, false));
            }

            int first = entry.FirstChild, end = entry.FirstChild + entry.ChildCount;
            for (int child = end - 1; child >= first; child--)
            {
                if (_plan.Entries[child].IsDirectory)
                {
                    Interlocked.Increment(ref work.Pending);
                    Push(new Work(work, child, 0, 0));
                }
            }

            int from = first;
            if (_workers > 1)
            {
                for (; end - from > 2 * LeafBatch; from += LeafBatch)
                {
                    Interlocked.Increment(ref work.Pending);
                    Push(new Work(work, -1, from, from + LeafBatch));
                }
            }

            CopyLeaves(options, work, from, end, worker);
            Release(work);
        }

        private void CopyLeaves(FileCopyRequest options, DirectoryWork directory, int from, int to, int worker)
        {
            for (int index = from; index < to; index++)
            {
                if (!_plan.Entries[index].IsDirectory)
                {
                    options.Cancellation.ThrowIfCancellationRequested();
                    _finished.Enqueue(CopyLeaf(options, directory, index, worker));
                }
            }
        }

        private Outcome CopyLeaf(FileCopyRequest options, DirectoryWork directory, int index, int worker)
        {
            var entry = _plan.Entries[index];
            string sourcePath = _plan.SourcePathOf(index), destinationPath = _plan.DestinationPathOf(index, _destinationRoot);
            try
            {
                if (entry.Problem is not null)
                {
                    throw entry.Problem;
                }

                // Without containers every file lands in the destination root, where names may repeat.
                using var slot = DestinationSlot.In(directory.Destination, entry.Name, lookFirst: !_plan.KeepsContainers);
                switch (entry.Status.Kind)
                {
                    case FileKind.File:
                        var devices = (entry.Status.Device, directory.Destination.Status.Device);
                        var progress = _progress[worker];
                        if (worker == 0)
                        {
                            _current = sourcePath;
                        }

                        var request = options.For(sourcePath, destinationPath, _methods.StartFor(devices), progress.Callback);
                        var result = FileCopier.CopyInTree(request, directory.Source, entry.Name, entry.Status, _plan.FollowsSymlinks, slot);
                        progress.Finish(result.Bytes);
                        _methods.Learn(devices, result);
                        return new Outcome(sourcePath, destinationPath, result, result.Metadata, null, true);
                    case FileKind.SymbolicLink:
                        return new Outcome(sourcePath, destinationPath, null, NodeCopier.CopyLink(directory.Source, entry.Name, entry.Status, slot, options.Preserve), null, true);
                    default:
                        return new Outcome(sourcePath, destinationPath, null, NodeCopier.CopyNode(directory.Source, entry.Name, entry.Status, slot, options.Preserve), null, true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _progress[worker].Finish(0);
                return new Outcome(sourcePath, destinationPath, null, default, e, true);
            }
        }

        /// <summary>One piece of a directory is done; the last piece finishes it (and so, maybe, its parent).</summary>
        private void Release(DirectoryWork work)
        {
            if (Interlocked.Decrement(ref work.Pending) == 0)
            {
                Finish(work);
                if (work.Parent is not null)
                {
                    Release(work.Parent);
                }
            }
        }

        private void Finish(DirectoryWork work)
        {
            if (Interlocked.Exchange(ref work.Finished, 1) != 0)
            {
                return;
            }

            try
            {
                if (work.OwnsDestination)
                {
                    ApplyDirectoryMetadata(work);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _finished.Enqueue(new Outcome(_plan.SourcePathOf(work.Index), _plan.DestinationPathOf(work.Index, _destinationRoot), null, default, e, false));
            }
            finally
            {
                work.Dispose();
            }
        }

        /// <summary>Directories begun but not finished when the copy stopped get their modes all the
        /// same, deepest first: a stopped copy is never left wider than its source, nor 0700 where
        /// the source was not.</summary>
        private void FinishAbandoned()
        {
            foreach (var work in _begun.Where(w => w.Finished == 0).OrderByDescending(w => w.Depth))
            {
                try
                {
                    if (work.OwnsDestination)
                    {
                        ApplyDirectoryMetadata(work);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The copy already ends with the error that stopped it.
                }
                finally
                {
                    work.Finished = 1;
                    work.Dispose();
                }
            }
        }

        private void ApplyDirectoryMetadata(DirectoryWork work)
        {
            var entry = _plan.Entries[work.Index];
            var preserve = _options.Preserve;
            string sourcePath = _plan.SourcePathOf(work.Index), destinationPath = _plan.DestinationPathOf(work.Index, _destinationRoot);
            if ((preserve & CopyPreserve.Mode) == 0 && work.Destination.CreatedByThisCopy)
            {
                // Made 0700 for the copy; without -Preserve Mode it gets what mkdir would have given it, never more than the source.
                Sys.SetPermissions(work.Destination.Handle, entry.Status.Permissions & 0b111_111_111 & ~Sys.Umask, destinationPath);
            }

            if (preserve != CopyPreserve.None)
            {
                var report = MetadataCopier.Apply(work.Source.Handle, entry.Status, work.Destination.Handle, preserve, sourcePath, destinationPath);
                if (report.Failure is not null || report.PrivilegeBitsDropped)
                {
                    _finished.Enqueue(new Outcome(sourcePath, destinationPath, null, report, null, false) { MetadataOnly = true });
                }
            }
        }

        /// <summary>Passes on, on this thread, what every worker finished, in the order they finished.</summary>
        private void Deliver()
        {
            while (_finished.TryDequeue(out var outcome))
            {
                if (outcome.Error is not null)
                {
                    if (outcome.IsLeaf)
                    {
                        _itemsDone++;
                    }

                    _observer.ItemFailed(outcome.Source, outcome.Destination, outcome.Error);
                    continue;
                }

                if (outcome.MetadataOnly)
                {
                    _observer.MetadataNotice(outcome.Destination, outcome.Metadata);
                    continue;
                }

                _observer.ItemCopied(outcome.Source, outcome.Destination, outcome.File, outcome.Metadata);
                if (outcome.IsLeaf)
                {
                    _itemsDone++;
                    _observer.Progress(BytesDone(), _itemsDone, outcome.Source);
                }
            }
        }

        private long BytesDone()
        {
            long done = 0;
            foreach (var worker in _progress)
            {
                done += worker.Done;
            }

            return done;
        }

        /// <summary>Progress inside a file this thread is copying.</summary>
        private void ReportFromHere(long bytes)
        {
            _progress[0].Current = bytes;
            _observer.Progress(BytesDone(), _itemsDone, _current);
        }

        private readonly record struct Work(DirectoryWork? Parent, int Index, int From, int To);

        private sealed record Outcome(string Source, string Destination, FileCopyResult? File, MetadataReport Metadata, Exception? Error, bool IsLeaf)
        {
            /// <summary>A directory that was reported when made, now only telling what its metadata came to.</summary>
            public bool MetadataOnly { get; init; }
        }
    }

    /// <summary>A directory being copied: its held descriptors and the pieces still to finish
    /// (its own items, its subdirectories, batches of its leaves).</summary>
    private sealed class DirectoryWork : IDisposable
    {
        private readonly bool _ownsSource;

        public DirectoryWork(int index, DirectoryWork? parent, DirectoryHandle source, bool ownsSource, DirectoryHandle destination, bool ownsDestination)
        {
            Index = index;
            Parent = parent;
            Source = source;
            _ownsSource = ownsSource;
            Destination = destination;
            OwnsDestination = ownsDestination;
            Depth = parent is null ? 0 : parent.Depth + 1;
        }

        public int Index { get; }

        public DirectoryWork? Parent { get; }

        public DirectoryHandle Source { get; }

        public DirectoryHandle Destination { get; }

        /// <summary>The destination directory is this one's own (not, without -Container, the root's).</summary>
        public bool OwnsDestination { get; }

        public int Depth { get; }

        public int Pending = 1;

        public int Finished;

        public void Dispose()
        {
            if (_ownsSource)
            {
                Source.Dispose();
            }

            if (OwnsDestination)
            {
                Destination.Dispose();
            }
        }
    }

    /// <summary>Bytes one worker has copied: files it finished plus the one it is on.</summary>
    private sealed class WorkerProgress
    {
        private long _finished;
        private long _current;

        public WorkerProgress(Action<long>? report)
        {
            Callback = report ?? (bytes => Volatile.Write(ref _current, bytes));
        }

        public Action<long> Callback { get; }

        public long Current
        {
            set => Volatile.Write(ref _current, value);
        }

        public long Done => Volatile.Read(ref _finished) + Volatile.Read(ref _current);

        public void Finish(long bytes)
        {
            Volatile.Write(ref _current, 0);
            Volatile.Write(ref _finished, _finished + bytes);
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
