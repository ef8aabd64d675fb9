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
            else if (Attempt(() => MakeDirectory(entry, targets[i]), entry, targets[i], observer))
            {
                observer.ItemCopied(entry, targets[i], null);
            }
            else
            {
                failed[i] = true;
            }
        }

        var leafCopier = new LeafCopier(plan, targets, leaves, fileOptions, observer);
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

    private static void MakeDirectory(TreeEntry entry, string target)
    {
        switch (Sys.TryStat(target, followSymlinks: false)?.Kind)
        {
            case null:
                Directory.CreateDirectory(target);
                break;
            case FileKind.Directory:
                break;
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
        private readonly List<int> _leaves;
        private readonly FileCopyRequest _options;
        private readonly ITreeCopyObserver _observer;
        private readonly MethodMemo _methods = new();
        private long _bytesDone;
        private int _itemsDone;

        public LeafCopier(TreePlan plan, string[] targets, List<int> leaves, FileCopyRequest options, ITreeCopyObserver observer)
        {
            _plan = plan;
            _targets = targets;
            _leaves = leaves;
            _options = options;
            _observer = observer;
        }

        public void RunHere()
        {
            foreach (int index in _leaves)
            {
                _options.Cancellation.ThrowIfCancellationRequested();
                long before = _bytesDone;
                string current = _plan.Entries[index].SourcePath;
                var outcome = CopyLeaf(_options, index, bytes => _observer.Progress(before + bytes, _itemsDone, current));
                Deliver(outcome);
            }
        }

        /// <summary>Workers copy; this thread reports what they did, and progress inside the files
        /// they are on, every 200 ms. It returns only when every worker has stopped, so no
        /// temporary file is left behind by Ctrl+C.</summary>
        public void RunParallel(int workers)
        {
            // Workers stop on Ctrl+C, and also when this thread leaves early (an observer that
            // throws, as -ErrorAction Stop makes WriteError do): no copy may outlive the call.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(_options.Cancellation);
            var options = _options with { Cancellation = stop.Token };
            var outcomes = new BlockingCollection<Outcome>();
            var partial = new long[workers];
            int next = -1;
            var tasks = new Task[workers];
            for (int w = 0; w < workers; w++)
            {
                int worker = w;
                tasks[w] = Task.Factory.StartNew(
                    () =>
                    {
                        int position;
                        while ((position = Interlocked.Increment(ref next)) < _leaves.Count && !stop.IsCancellationRequested)
                        {
                            var outcome = CopyLeaf(options, _leaves[position], bytes => Volatile.Write(ref partial[worker], bytes));
                            Volatile.Write(ref partial[worker], 0);
                            outcomes.Add(outcome);
                            if (outcome.Error is OperationCanceledException)
                            {
                                break;
                            }
                        }
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default);
            }

            Task.WhenAll(tasks).ContinueWith(_ => outcomes.CompleteAdding(), TaskScheduler.Default);
            try
            {
                bool cancelled = false;
                while (!outcomes.IsCompleted)
                {
                    if (outcomes.TryTake(out var outcome, 200))
                    {
                        cancelled |= outcome.Error is OperationCanceledException;
                        if (!cancelled)
                        {
                            Deliver(outcome);
                        }
                    }

                    long inFlight = 0;
                    for (int w = 0; w < partial.Length; w++)
                    {
                        inFlight += Volatile.Read(ref partial[w]);
                    }

                    _observer.Progress(_bytesDone + inFlight, _itemsDone, null);
                }
            }
            finally
            {
                stop.Cancel();
                Task.WaitAll(tasks);
                outcomes.Dispose();
            }

            _options.Cancellation.ThrowIfCancellationRequested();
        }

        private Outcome CopyLeaf(FileCopyRequest options, int index, Action<long> progress)
        {
            var entry = _plan.Entries[index];
            string target = _targets[index];
            try
            {
                switch (entry.Status.Kind)
                {
                    case FileKind.File:
                        var result = FileCopier.Copy(options.For(entry.SourcePath, target, _methods.StartFor(entry.Status), progress));
                        _methods.Learn(entry.Status, result);
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

            _bytesDone += outcome.File?.Bytes ?? 0;
            _observer.ItemCopied(entry, target, outcome.File);
            _observer.Progress(_bytesDone, _itemsDone, entry.SourcePath);
        }

        private readonly record struct Outcome(int Index, FileCopyResult? File, Exception? Error);
    }

    /// <summary>
    /// Remembers, per source file system, the method that copied a file with data: the strategies
    /// before it refused and will refuse for every other file there too (FICLONE on ext4), and a
    /// refusal costs a failed call and an exception per file. Empty files teach nothing (they
    /// skip copy_file_range by design).
    /// </summary>
    private sealed class MethodMemo
    {
        private readonly ConcurrentDictionary<ulong, CopyMethod> _bySourceDevice = new();

        public CopyMethod StartFor(in FileStatus source) =>
            _bySourceDevice.TryGetValue(source.Device, out var method) ? method : CopyMethod.Auto;

        public void Learn(in FileStatus source, FileCopyResult result)
        {
            if (result.Bytes > 0 && !result.Sparse && result.Method != CopyMethod.PlatformCopy)
            {
                _bySourceDevice.TryAdd(source.Device, result.Method);
            }
        }
    }
}
