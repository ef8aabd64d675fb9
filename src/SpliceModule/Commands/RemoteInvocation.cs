using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;

namespace SpliceModule.Commands;

/// <summary>
/// One script running on a PSSession's runspace: its output read as it comes (the far end says
/// "ready" before it blocks), optional pipeline input streamed to it (Session transport), Ctrl+C
/// honoured while waiting, and the script stopped on every way out that did not let it finish.
/// </summary>
internal sealed class RemoteInvocation : IDisposable
{
    private readonly PowerShell _shell;
    private readonly PSDataCollection<PSObject> _output = new();
    private readonly BlockingCollection<PSObject> _arrived = new();
    private readonly string _computer;
    private readonly CancellationTokenSource _failed = new();

    public RemoteInvocation(PSSession session, string script, IDictionary parameters, bool withInput = false)
    {
        _computer = session.ComputerName;
        _shell = PowerShell.Create();
        _shell.Runspace = session.Runspace;
        _shell.AddScript(script).AddParameters(parameters);
        _output.DataAdded += (_, e) =>
        {
            var item = _output[e.Index];
            _arrived.Add(item);
            if (item.BaseObject is Hashtable answer && answer["Failed"] is true)
            {
                _failed.Cancel();
            }
        };
        _shell.InvocationStateChanged += (_, e) =>
        {
            if (e.InvocationStateInfo.State is PSInvocationState.Completed or PSInvocationState.Failed or PSInvocationState.Stopped)
            {
                _arrived.CompleteAdding();
            }

            if (e.InvocationStateInfo.State is PSInvocationState.Failed or PSInvocationState.Stopped)
            {
                _failed.Cancel();
            }
        };
        Input = withInput ? new PSDataCollection<object>() : null;
        var input = Input ?? new PSDataCollection<object>();
        if (Input is null)
        {
            input.Complete();
        }

        _shell.BeginInvoke(input, _output);
    }

    /// <summary>Cancelled when the far end answers a failure or its script fails: what this side
    /// waits for (a data connection) will then never come, and Next says why.</summary>
    public CancellationToken FarFailed => _failed.Token;

    /// <summary>The script's pipeline input (Session transport); Complete() ends it.</summary>
    public PSDataCollection<object>? Input { get; }

    /// <summary>The script's next output object; a script that ended without one is an error with
    /// what it said.</summary>
    public object Next(CancellationToken cancellation)
    {
        try
        {
            if (_arrived.TryTake(out var next, Timeout.Infinite, cancellation))
            {
                return next.BaseObject;
            }
        }
        catch (InvalidOperationException)
        {
            // Completed meanwhile, with nothing left.
        }

        string said = string.Join(" ", _shell.Streams.Error.Select(e => e.ToString()));
        if (_shell.InvocationStateInfo.Reason is { } reason)
        {
            said = $"{said} {reason.Message}".Trim();
        }

        throw new RemoteCopyException("RemoteScriptFailed", $"The remote part of the copy on '{_computer}' ended without an answer{(said.Length > 0 ? ": " + said : ".")}");
    }

    /// <summary>Waits for a script that has given its last answer to end (its clean block runs);
    /// its input, if any, ends first.</summary>
    public void Finish(CancellationToken cancellation)
    {
        Input?.Complete();
        WaitForEnd(cancellation);
    }

    /// <summary>Waits for a script that answers nothing; an error it wrote fails the copy.</summary>
    public object WaitForEnd(CancellationToken cancellation)
    {
        try
        {
            while (_arrived.TryTake(out _, Timeout.Infinite, cancellation))
            {
            }
        }
        catch (InvalidOperationException)
        {
        }

        if (_shell.HadErrors || _shell.InvocationStateInfo.State != PSInvocationState.Completed)
        {
            throw new RemoteCopyException("RemoteScriptFailed", $"The remote part of the copy on '{_computer}' failed: {string.Join(" ", _shell.Streams.Error.Select(e => e.ToString()))} {_shell.InvocationStateInfo.Reason?.Message}".TrimEnd());
        }

        return true;
    }

    /// <summary>Stops a script that has not finished (Ctrl+C, a failure on this side), waiting a
    /// little so that the session is free for the next copy: a far end blocked in a call returns by
    /// itself once its data connection is closed, which the caller has done by now.</summary>
    public void Dispose()
    {
        Input?.Complete();
        if (_shell.InvocationStateInfo.State is PSInvocationState.Running or PSInvocationState.NotStarted or PSInvocationState.Stopping)
        {
            var stopping = _shell.BeginStop(null, null);
            if (!stopping.AsyncWaitHandle.WaitOne(StopWait))
            {
                return;
            }
        }

        _shell.Dispose();
        _failed.Dispose();
    }

    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(2);
}
