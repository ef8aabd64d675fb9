using System;
using System.Collections.Concurrent;
using System.Threading;

namespace SpliceModule.Transfer;

/// <summary>One item's end, as a worker saw it.</summary>
internal sealed record TreeOutcome(string Source, string Destination, FileCopyResult? File, MetadataReport Metadata, Exception? Error, bool IsLeaf)
{
    /// <summary>A directory that was reported when made, now only telling what its metadata came to.</summary>
    public bool MetadataOnly { get; init; }

    /// <summary>-Mirror removed the destination item (this many items with what it held), or failed to (with <see cref="Error"/>).</summary>
    public int? Removed { get; init; }

    /// <summary>A directory of the destination that was there already and is used as it is (-Update, -Mirror): counted, not passed through.</summary>
    public bool AlreadyThere { get; init; }

    /// <summary>Something to tell the user on the way (a file tried again); nothing else is set.</summary>
    public string? Notice { get; init; }
}

/// <summary>
/// What the workers of a tree copy finished, passed on to the observer on the copy's own thread
/// (a cmdlet may write to the pipeline only there), in the order they finished; and the bytes
/// done so far over every worker, for progress.
/// </summary>
internal sealed class TreeReports
{
    private readonly ConcurrentQueue<TreeOutcome> _finished = new();
    private readonly ITreeCopyObserver _observer;
    private int _leavesFinished;
    private long _untouched, _untouchedBytes, _untouchedDelivered, _untouchedBytesDelivered;

    /// <summary>The copy's own thread: made there, it is the only one that may pass things on.</summary>
    private readonly int _ownThread = Environment.CurrentManagedThreadId;

    public TreeReports(ITreeCopyObserver observer, int workers)
    {
        _observer = observer;
        Workers = new WorkerProgress[workers];
        Workers[0] = new WorkerProgress(ReportFromHere);
        for (int w = 1; w < workers; w++)
        {
            Workers[w] = new WorkerProgress(null);
        }
    }

    /// <summary>Per worker; worker 0 is the copy's own thread, whose progress is reported at once.</summary>
    public WorkerProgress[] Workers { get; }

    private volatile string? _current;

    /// <summary>The file begun last by any worker (shown in progress): while the copy's own thread
    /// waits for the others, progress names what they are copying, not the tree.</summary>
    public string? Current
    {
        get => _current;
        set => _current = value;
    }

    /// <summary>Counts a leaf as done when its worker finishes it, not when it is passed on:
    /// the copy's own thread passes things on only between its own tasks, so progress would
    /// otherwise show no item done while that thread copies a directory's files.</summary>
    public void Add(TreeOutcome outcome)
    {
        _finished.Enqueue(outcome);
        if (outcome.IsLeaf)
        {
            Interlocked.Increment(ref _leavesFinished);
        }
    }

    /// <summary>A leaf left alone with nothing to say about it (-Update's no-change path): counted, not queued.</summary>
    public void AddUntouched(long bytes) => AddUntouched(1, bytes);

    public void AddUntouched(long items, long bytes)
    {
        Interlocked.Add(ref _untouched, items);
        Interlocked.Add(ref _untouchedBytes, bytes);
    }

    /// <summary>Passes a message on to the user from any worker, in order with the items; at once
    /// when the copy's own thread says it (it may be about to wait before trying a file again).</summary>
    public void Tell(string notice)
    {
        _finished.Enqueue(new TreeOutcome(string.Empty, string.Empty, null, default, null, false) { Notice = notice });
        if (Environment.CurrentManagedThreadId == _ownThread)
        {
            Deliver();
        }
    }

    /// <summary>Passes on what every worker finished; on the copy's own thread only.</summary>
    public void Deliver()
    {
        long untouched = Interlocked.Read(ref _untouched), untouchedBytes = Interlocked.Read(ref _untouchedBytes);
        if (untouched != _untouchedDelivered)
        {
            _observer.Untouched(untouched - _untouchedDelivered, untouchedBytes - _untouchedBytesDelivered);
            (_untouchedDelivered, _untouchedBytesDelivered) = (untouched, untouchedBytes);
        }

        while (_finished.TryDequeue(out var outcome))
        {
            if (outcome.Notice is { } notice)
            {
                _observer.Notice(notice);
                continue;
            }

            if (outcome.Removed is { } removed)
            {
                if (outcome.Error is not null)
                {
                    _observer.ItemFailed(outcome.Destination, outcome.Destination, outcome.Error);
                }
                else
                {
                    _observer.ItemRemoved(outcome.Destination, removed);
                }

                continue;
            }

            if (outcome.Error is not null)
            {
                _observer.ItemFailed(outcome.Source, outcome.Destination, outcome.Error);
                continue;
            }

            if (outcome.MetadataOnly)
            {
                _observer.MetadataNotice(outcome.Destination, outcome.Metadata);
                continue;
            }

            _observer.Tally(outcome.IsLeaf, outcome.File);
            if (outcome.File is { Unchanged: true } || outcome.AlreadyThere)
            {
                _observer.MetadataNotice(outcome.Destination, outcome.Metadata);
            }
            else
            {
                _observer.ItemCopied(outcome.Source, outcome.Destination, outcome.File, outcome.Metadata);
            }

            if (outcome.IsLeaf)
            {
                _observer.Progress(BytesDone(), ItemsDone(), outcome.Source);
            }
        }
    }

    /// <summary>Progress while this thread waits for the others.</summary>
    public void ReportProgress() => _observer.Progress(BytesDone(), ItemsDone(), Current);

    /// <summary>Leaves finished by any worker, and those the walk found unchanged.</summary>
    private int ItemsDone() => Volatile.Read(ref _leavesFinished) + (int)Interlocked.Read(ref _untouched);

    private long BytesDone()
    {
        long done = 0;
        foreach (var worker in Workers)
        {
            done += worker.Done;
        }

        return done;
    }

    /// <summary>Progress inside a file this thread is copying.</summary>
    private void ReportFromHere(long bytes)
    {
        Workers[0].Current = bytes;
        _observer.Progress(BytesDone(), ItemsDone(), Current);
    }
}
