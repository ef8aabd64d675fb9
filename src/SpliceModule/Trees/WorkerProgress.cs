using System;
using System.Threading;

namespace SpliceModule.Transfer;

/// <summary>Bytes one worker has copied: files it finished plus the one it is on.</summary>
internal sealed class WorkerProgress
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
