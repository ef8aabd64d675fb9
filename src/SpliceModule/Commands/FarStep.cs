using System;
using System.Threading;
using System.Threading.Tasks;

namespace SpliceModule.Commands;

/// <summary>
/// A step of the far end of a remote copy that may wait long (for a FIFO's reader, for the data
/// connection, for a stalled peer): it runs on a worker while the far script waits for it in short
/// slices (<see cref="RemoteScripts.Awaited"/>). A method called from a script cannot see the
/// script being stopped, but a stop (the copying host's Ctrl+C) lands between two slices: the
/// script's clean block then disposes the agent, which cancels the step, and the step ends within
/// its own wait slice instead of waiting out its time-out. Not for scripts of users.
/// </summary>
public sealed class FarStep
{
    /// <summary>How long the script waits for a step at a time; a stop lands within one.</summary>
    public const int SliceMilliseconds = 100;

    private readonly Task<object?> _work;

    private FarStep(Task<object?> work) => _work = work;

    /// <summary>Runs <paramref name="work"/>, which never throws for a failed copy (the agents keep
    /// their failure and answer it), on a worker.</summary>
    internal static FarStep Start(Func<object?> work) => new(Task.Run(work));

    /// <summary>True once the step has ended (waiting at most one slice).</summary>
    public bool Wait() => ((IAsyncResult)_work).AsyncWaitHandle.WaitOne(SliceMilliseconds);

    /// <summary>The step's answer, once it has ended.</summary>
    public object? Result => _work.GetAwaiter().GetResult();

    /// <summary>For Dispose: lets a step that was cancelled end (it does within a wait slice)
    /// before what it uses is released; true if it did.</summary>
    internal static bool LetEnd(FarStep? step) =>
        step is null || ((IAsyncResult)step._work).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(5));
}
