using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

// Longer than 300 lines: a directory task's whole life (begin, leaves, release, finish, abandon) reads as one
// story; scheduling is TaskStack's and reporting TreeReports'.

/// <summary>One copy of one tree: the task stack, the workers and what they report.</summary>
internal sealed class TreeRun
{
    /// <summary>Leaves of one directory handed out together: a huge flat directory runs on every worker.</summary>
    private const int LeafBatch = 128;

    private readonly TreePlan _plan;
    private readonly DestinationSlot _root;
    private readonly string _destinationRoot;
    private readonly FileCopyRequest _options;
    private readonly int _workers;
    private readonly TaskStack<Work> _tasks = new();

    /// <summary>Per entry: the destination directory made for it before any file (and checked then
    /// to be new, ours and private), until its own task opens it or the copy settles it.</summary>
    private readonly FileStatus?[] _madeEarly;

    /// <summary>Per entry: its own task has begun (so it is in <see cref="_begun"/>).</summary>
    private readonly bool[] _begunIndex;
    private readonly List<DirectoryWork> _begun = new();
    private readonly TreeReports _reports;
    private readonly MethodMemo _methods = new();
    private readonly TrueSizeDevices _trueSizes = new();
    private readonly HardLinkGroups? _links;
    private readonly MirrorPruner? _mirror;
    private Exception? _fault;

    /// <summary>The hidden name the new top directory has until the copy ends (<see cref="DirectoryHandle.MakeHiddenChild"/>).</summary>
    private EntryName? _hiddenRoot;

    /// <summary>Held while the top has its hidden name: the lock says the copy is alive (<see cref="StaleHiddenRoots"/>).</summary>
    private DirectoryHandle? _hiddenRootLock;
    private readonly bool _hidesNewRoot;

    public TreeRun(TreePlan plan, DestinationSlot root, string destinationRoot, FileCopyRequest options, int throttleLimit, ITreeCopyObserver observer, MirrorOptions? mirror = null)
    {
        _plan = plan;
        _root = root;
        _destinationRoot = destinationRoot;
        // One worker per processor the process may use, -ThrottleLimit at most: more only queue for the same cores.
        int cap = Math.Min(throttleLimit, Sys.AllowedProcessors());
        _workers = cap > 1 && plan.FileCount > cap && mirror?.MayRemove is null ? cap : 1;
        _reports = new TreeReports(observer, _workers);
        _options = options.Retries > 0 ? options with { OnRetry = _reports.Tell } : options;
        _mirror = mirror is not null && plan.KeepsContainers ? new MirrorPruner(mirror, _reports.Add) : null;
        _madeEarly = new FileStatus?[plan.Entries.Count];
        _begunIndex = new bool[plan.Entries.Count];
        _links = HardLinkGroups.For(plan, options.Preserve);
        _hidesNewRoot = !observer.NeedsItemsInPlace;
    }

    public void Run()
    {
        // Helpers stop on Ctrl+C, and also when this thread leaves early (an observer that
        // throws, as -ErrorAction Stop makes WriteError do): no copy may outlive the call.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_options.Cancellation);
        var options = _options with { Cancellation = stop.Token };
        var helpers = new Task[_workers - 1];
        // Leaves the walk found unchanged (TreeWalkOptions.Unchanged) are done before anything starts.
        _reports.Workers[0].Finish(_plan.UntouchedBytes);
        _reports.AddUntouched(_plan.UntouchedCount, _plan.UntouchedBytes);
        Push(new Work(null, 0, 0, 0));
        for (int h = 0; h < helpers.Length; h++)
        {
            int worker = h + 1;
            helpers[h] = Task.Factory.StartNew(() => Help(options, worker), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        bool ended = false;
        try
        {
            while (Next(main: true) is { } work)
            {
                Process(options, work, 0);
                Done();
                _reports.Deliver();
            }

            _reports.Deliver();
            ended = true;
        }
        finally
        {
            Stop();
            stop.Cancel();
            Task.WaitAll(helpers);
            FinishAbandoned();
            _links?.Dispose();
            PutRootInPlace(throwOnFailure: ended);
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
            switch (_tasks.TryTake(out var work, main ? 200 : System.Threading.Timeout.Infinite))
            {
                case TaskStack<Work>.Take.Got:
                    return work;
                case TaskStack<Work>.Take.Done:
                    return null;
            }

            _reports.Deliver();
            _reports.ReportProgress();
        }
    }

    private void Push(Work work) => _tasks.Push(work);

    private void Done() => _tasks.Finished();

    private void Stop() => _tasks.Stop();

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
                ? MakeRoot(sourcePath)
                : _plan.KeepsContainers ? parent.Destination.MakeOrOpenChild(entry.Name, sourcePath, madeEarlyAs: _madeEarly[index]) : parent.Destination;
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            if (parent is not null)
            {
                source?.Dispose();
                SettleMadeEarly(parent.Destination, index);
            }

            _reports.Add(new TreeOutcome(sourcePath, destinationPath, null, default, e, false));
            if (parent is not null)
            {
                Release(parent);
            }

            return;
        }

        var work = new DirectoryWork(index, parent, source, parent is not null, destination, ownsDestination);
        lock (_begun)
        {
            _begun.Add(work);
            _begunIndex[index] = true;
        }

        if (ownsDestination)
        {
            _reports.Add(new TreeOutcome(sourcePath, destinationPath, null, default, null, false) { AlreadyThere = options.Existing != ExistingItems.Replace && !destination.CreatedByThisCopy });
        }

        if (_mirror is not null && !destination.CreatedByThisCopy)
        {
            _mirror.Prune(_plan, index, destination, options.Cancellation);
        }

        int first = entry.FirstChild, end = entry.FirstChild + entry.ChildCount;
        if (parent is null && _plan.KeepsContainers)
        {
            MakeDirectoriesEarly(destination, index, options.Cancellation);
        }

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
            var entry = _plan.Entries[index];
            if (!entry.IsDirectory)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                if (options.Existing != ExistingItems.Replace && _plan.KeepsContainers && UnchangedLeaves.IsUntouched(options, directory.Destination, entry))
                {
                    long bytes = entry.Status.Kind == FileKind.File ? entry.Status.Size : 0;
                    _reports.Workers[worker].Finish(bytes);
                    _reports.AddUntouched(bytes);
                    continue;
                }

                _reports.Add(CopyLeaf(options, directory, index, worker));
            }
        }
    }

    private TreeOutcome CopyLeaf(FileCopyRequest options, DirectoryWork directory, int index, int worker)
    {
        var entry = _plan.Entries[index];
        string sourcePath = directory.Source.PathOf(entry.Name), destinationPath = directory.Destination.PathOf(entry.Name);
        try
        {
            if (entry.Problem is not null)
            {
                throw entry.Problem;
            }

            // Without containers every file lands in the destination root, where names may repeat.
            using var slot = DestinationSlot.In(directory.Destination, entry.Name, lookFirst: !_plan.KeepsContainers, destinationPath);
            if (options.Existing != ExistingItems.Replace && UnchangedLeaves.Check(options, directory.Source, entry, slot, sourcePath, destinationPath) is { } unchanged)
            {
                _reports.Workers[worker].Finish(unchanged.File!.Bytes);
                return unchanged;
            }

            switch (entry.Status.Kind)
            {
                case FileKind.File:
                    var devices = (entry.Status.Device, directory.Destination.Status.Device);
                    var progress = _reports.Workers[worker];
                    _reports.Current = sourcePath;

                    var request = options.For(sourcePath, destinationPath, _methods.StartFor(devices), progress.Callback, _trueSizes.For(directory.Source, entry.Status));
                    var result = _links is null
                        ? FileCopier.CopyInTree(request, directory.Source, entry.Name, entry.Status, _plan.FollowsSymlinks, slot)
                        : CopyOrLink(_links, request, directory, entry, slot, options.Force);
                    if (result is null)
                    {
                        progress.Finish(entry.Status.Size); // linked: its bytes count as done, so progress ends at 100%
                        return new TreeOutcome(sourcePath, destinationPath, null, default, null, true);
                    }

                    progress.Finish(result.Bytes);
                    _methods.Learn(devices, result);
                    return new TreeOutcome(sourcePath, destinationPath, result, result.Metadata, null, true);
                case FileKind.SymbolicLink:
                    return new TreeOutcome(sourcePath, destinationPath, null, NodeCopier.CopyLink(directory.Source, entry.Name, entry.Status, slot, options.Preserve), null, true);
                default:
                    return new TreeOutcome(sourcePath, destinationPath, null, NodeCopier.CopyNode(directory.Source, entry.Name, entry.Status, slot, options.Preserve), null, true);
            }
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            _reports.Workers[worker].Finish(0);
            return new TreeOutcome(sourcePath, destinationPath, null, default, e, true);
        }
    }

    /// <summary>-Preserve Links: the file's first name in the tree is copied, the others linked to that copy.
    /// Its own method, so that the closure is made for linked trees only, not for every file of every tree.</summary>
    private FileCopyResult? CopyOrLink(HardLinkGroups links, FileCopyRequest request, DirectoryWork directory, TreeEntry entry, DestinationSlot slot, bool force) =>
        links.CopyOrLink(entry.Status, request.SourcePath, slot, force, () => FileCopier.CopyInTree(request, directory.Source, entry.Name, entry.Status, _plan.FollowsSymlinks, slot));

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
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            _reports.Add(new TreeOutcome(_plan.SourcePathOf(work.Index), _plan.DestinationPathOf(work.Index, _destinationRoot), null, default, e, false));
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
                var entry = _plan.Entries[work.Index];
                for (int child = entry.FirstChild; child < entry.FirstChild + entry.ChildCount; child++)
                {
                    if (!_begunIndex[child])
                    {
                        SettleMadeEarly(work.Destination, child);
                    }
                }

                if (work.OwnsDestination)
                {
                    ApplyDirectoryMetadata(work);
                }
            }
            catch (Exception e) when (ItemFailure.IsExpected(e))
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

    /// <summary>The destination's top directory. A new one (nothing stood there when the copy began)
    /// is made under a hidden name and given its own when the copy ends, whichever way it ends
    /// (<see cref="PutRootInPlace"/>): until then nothing of it can be seen at its final path, so the
    /// files inside are made at their names at once rather than unnamed and linked in.
    /// Without -Container every file goes into the top directory, where names may repeat, and with
    /// -PassThru each item is shown as it comes: the usual way.</summary>
    private DirectoryHandle MakeRoot(string sourcePath)
    {
        if (_root.Existing is not null || !_plan.KeepsContainers || !_hidesNewRoot)
        {
            return _root.Directory.MakeOrOpenChild(_root.Name, sourcePath);
        }

        StaleHiddenRoots.Remove(_root.Directory, _root.Name, _options.Cancellation);
        while (true)
        {
            var made = _root.Directory.MakeHiddenChild(_root.Name, sourcePath, out var hidden);
            try
            {
                _hiddenRootLock = StaleHiddenRoots.Claim(_root.Directory, hidden, made.Status);
            }
            catch
            {
                made.Dispose();
                throw;
            }

            if (_hiddenRootLock is not null)
            {
                _hiddenRoot = hidden;
                return made;
            }

            made.Dispose(); // another copy, tidying up, locked it first: it is left to that one
        }
    }

    /// <summary>Gives the new top directory its name: after an error or Ctrl+C too, as every file in
    /// it is complete by then (one being written was removed) and every directory has its mode.
    /// Something that took the name meanwhile is not replaced: the copy is left at its hidden name
    /// and said so (an error of the copy, unless it already ends with one).</summary>
    private void PutRootInPlace(bool throwOnFailure)
    {
        if (_hiddenRoot is not { } hidden)
        {
            return;
        }

        _hiddenRoot = null;
        Exception? failure = null;
        try
        {
            if (!_root.Directory.PutInPlace(hidden, _root.Name))
            {
                failure = new SpliceRefusedException(Refusal.DestinationChanged, $"'{_root.Path}' appeared while the copy ran, and it was not replaced: the copy is at '{_root.Directory.PathOf(hidden)}'.");
            }
        }
        catch (SpliceException e)
        {
            failure = e;
        }
        finally
        {
            _hiddenRootLock?.Dispose();
            _hiddenRootLock = null;
        }

        if (failure is not null && throwOnFailure)
        {
            throw failure;
        }
    }

    /// <summary>Makes every directory of the tree below <paramref name="index"/> before any file,
    /// depth first, each checked new, ours and private when made (its identity is kept for the
    /// check when its task opens it). A directory that cannot be made here is left to its task,
    /// which reports it. Ctrl+C ends the pass; what was made is settled on the way out.</summary>
    private void MakeDirectoriesEarly(DirectoryHandle directory, int index, System.Threading.CancellationToken cancellation)
    {
        var entry = _plan.Entries[index];
        for (int child = entry.FirstChild; child < entry.FirstChild + entry.ChildCount && !cancellation.IsCancellationRequested; child++)
        {
            if (_plan.Entries[child] is not { IsDirectory: true, Problem: null } sub || !directory.MakeChildEarly(sub.Name))
            {
                continue;
            }

            DirectoryHandle made;
            try
            {
                made = directory.MakeOrOpenChild(sub.Name, directory.PathOf(sub.Name), madeAlready: true);
            }
            catch (Exception e) when (ItemFailure.IsExpected(e))
            {
                continue;
            }

            using (made)
            {
                _madeEarly[child] = made.Status;
                MakeDirectoriesEarly(made, child, cancellation);
            }
        }
    }

    /// <summary>A directory made early whose own task never ran (the copy stopped) or failed: it and
    /// what was made early below it get their sources' modes and times all the same, deepest first,
    /// as every directory begun does (until then 0700: never wider than the source).</summary>
    private void SettleMadeEarly(DirectoryHandle parent, int index)
    {
        if (_madeEarly[index] is not { } identity)
        {
            return;
        }

        _madeEarly[index] = null;
        var entry = _plan.Entries[index];
        try
        {
            using var made = parent.OpenChild(entry.Name, followSymlink: false);
            if (!made.Status.IsSameFile(identity))
            {
                return;
            }

            for (int child = entry.FirstChild; child < entry.FirstChild + entry.ChildCount; child++)
            {
                SettleMadeEarly(made, child);
            }

            SetDirectoryMetadata(null, entry, made, madeByThisCopy: true, _options.Preserve & (CopyPreserve.Mode | CopyPreserve.Timestamps), made.Path, made.Path);
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            // Left private (0700): never wider than its source.
        }
    }

    private void ApplyDirectoryMetadata(DirectoryWork work)
    {
        string sourcePath = _plan.SourcePathOf(work.Index), destinationPath = _plan.DestinationPathOf(work.Index, _destinationRoot);
        var report = SetDirectoryMetadata(work.Source.Handle, _plan.Entries[work.Index], work.Destination, work.Destination.CreatedByThisCopy, _options.Preserve, sourcePath, destinationPath);
        if (report.Failure is not null || report.PrivilegeBitsDropped)
        {
            _reports.Add(new TreeOutcome(sourcePath, destinationPath, null, report, null, false) { MetadataOnly = true });
        }
    }

    /// <summary>A destination directory's mode and times once its contents are in (or the copy
    /// stopped). One this copy made is 0700 until then: without -Preserve Mode it gets what mkdir
    /// would have given it, never more than the source.</summary>
    internal static MetadataReport SetDirectoryMetadata(System.Runtime.InteropServices.SafeHandle? source, TreeEntry entry, DirectoryHandle destination, bool madeByThisCopy, CopyPreserve preserve, string sourcePath, string destinationPath)
    {
        if ((preserve & CopyPreserve.Mode) == 0 && madeByThisCopy)
        {
            Sys.SetPermissions(destination.Handle, entry.Status.Permissions & 0b111_111_111 & ~Sys.Umask, destinationPath);
        }

        return preserve == CopyPreserve.None ? default : MetadataCopier.Apply(source, entry.Status, destination.Handle, preserve, sourcePath, destinationPath);
    }

    private readonly record struct Work(DirectoryWork? Parent, int Index, int From, int To);
}
