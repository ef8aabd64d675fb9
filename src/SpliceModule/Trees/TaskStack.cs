using System.Collections.Generic;
using System.Threading;

namespace SpliceModule.Transfer;

/// <summary>
/// The tasks of a tree copy, shared by its workers: last in, first out, so that a worker goes
/// deep before it goes wide and descriptors stay open only along the directories being worked
/// on. A take waits while others still run (their tasks may add more) and ends when none is left
/// and none runs, or when the copy is stopping.
/// </summary>
internal sealed class TaskStack<T>
    where T : struct
{
    private readonly object _gate = new();
    private readonly Stack<T> _tasks = new();
    private int _running;
    private bool _stopping;

    public enum Take
    {
        Got,
        Done,

        /// <summary>Only with a wait limit: nothing came within it, but the copy goes on.</summary>
        StillWaiting,
    }

    /// <summary>Takes the next task; with <paramref name="waitMs"/> a caller that has other duties
    /// (passing on results) is woken after that long.</summary>
    public Take TryTake(out T task, int waitMs = Timeout.Infinite)
    {
        lock (_gate)
        {
            while (_tasks.Count == 0 && _running > 0 && !_stopping)
            {
                if (!Monitor.Wait(_gate, waitMs))
                {
                    task = default;
                    return Take.StillWaiting;
                }
            }

            if (_stopping || _tasks.Count == 0)
            {
                task = default;
                return Take.Done;
            }

            _running++;
            task = _tasks.Pop();
            return Take.Got;
        }
    }

    public void Push(T task)
    {
        lock (_gate)
        {
            _tasks.Push(task);
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>A task taken earlier is finished (whatever it pushed is on the stack by now).</summary>
    public void Finished()
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

    /// <summary>No task is handed out any more; waiting workers wake and end.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
    }
}
