using System;
using System.Collections.Concurrent;

namespace SpliceModule.Transfer;

/// <summary>One item's end, as a worker saw it.</summary>
internal sealed record TreeOutcome(string Source, string Destination, FileCopyResult? File, MetadataReport Metadata, Exception? Error, bool IsLeaf)
{
    /// <summary>A directory that was reported when made, now only telling what its metadata came to.</summary>
    public bool MetadataOnly { get; init; }
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
    private int _itemsDone;

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

    public void Add(TreeOutcome outcome) => _finished.Enqueue(outcome);

    /// <summary>Passes on what every worker finished; on the copy's own thread only.</summary>
    public void Deliver()
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

    /// <summary>Progress while this thread waits for the others.</summary>
    public void ReportProgress() => _observer.Progress(BytesDone(), _itemsDone, Current);

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
        _observer.Progress(BytesDone(), _itemsDone, Current);
    }
}
