using System;
using System.Collections;
using System.Threading;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// The copying host's half of one remote tree copy: starts the far half through the session
/// (RemoteScripts.ReceiveTree or SendTree), waits for it to say it is ready, moves the whole tree
/// as one stream on one data connection (or through the session), and collects the far half's
/// outcome. As for one file (<see cref="RemoteFileCopy"/>), the far half and the connection are
/// stopped and closed on every way out.
/// </summary>
internal static class RemoteTreeCopy
{
    /// <summary>Sends a walked tree; returns the far half's answer (Path, Items, Failures, Warnings).</summary>
    public static Hashtable ToHost(RemoteHost host, OutgoingTree tree, string destination, RemoteCopyOptions options, CancellationToken cancellation, Action<long> progress)
    {
        bool throughSession = options.Transport == RemoteTransport.Session;
        var parameters = new Hashtable { ["Destination"] = destination, ["Header"] = tree.Header.ToJson(), ["Options"] = options.ToJson() };
        using var far = new RemoteInvocation(host.Session, RemoteScripts.ReceiveTree, parameters, withInput: throughSession);
        object ready = RemoteFileCopy.Succeeded(far.Next(cancellation), host);
        object answer;
        if (throughSession)
        {
            // A window of chunks at most in flight; the far end's failure comes instead of a credit.
            var window = new SessionWindow.Sender(far, host, cancellation);
            tree.SendTo(TreeWires.InChunks(window.Send), cancellation, progress);
            answer = window.Complete();
        }
        else
        {
            try
            {
                TreeDataPath.Send(tree, options, DataConnection.Parse(ready.ToString()!), cancellation, progress);
            }
            catch (Exception e) when (SpliceCmdlet.IsItemError(e) && !cancellation.IsCancellationRequested)
            {
                RemoteFileCopy.ThrowFarFailure(far, host, cancellation);
                throw;
            }

            answer = far.Next(cancellation);
        }

        var done = (Hashtable)RemoteFileCopy.Succeeded(answer, host);
        far.Finish(cancellation);
        return done;
    }

    /// <summary>Receives the far host's tree at <paramref name="source"/> into <paramref name="destination"/>,
    /// reporting to the observer <paramref name="observerFor"/> makes from the tree's header; false
    /// (nothing done) when the far path is no directory, which is then copied as a file.</summary>
    public static bool FromHost(RemoteHost host, string source, string destination, RemoteCopyOptions options, CancellationToken cancellation, Func<RemoteTreeHeader, ITreeCopyObserver> observerFor)
    {
        bool throughSession = options.Transport == RemoteTransport.Session;
        using var listener = throughSession ? null : new DataListener(host.ClientAddress ?? SshConnection.Parse(null).Client);
        options = options with { EndPoint = listener?.EndPoint.ToString() };
        using var far = new RemoteInvocation(host.Session, RemoteScripts.SendTree, new Hashtable { ["Path"] = source, ["Options"] = options.ToJson() }, withInput: throughSession);
        object answer = RemoteFileCopy.Succeeded(far.Next(cancellation), host);
        if (answer is "file")
        {
            far.Finish(cancellation);
            return false;
        }

        var header = RemoteTreeHeader.FromJson((string)answer);
        AnnouncedName.Require(header.Name, source);
        using var incoming = new IncomingTree(destination, header, options.RequestFor(source, destination, cancellation), observerFor(header));
        if (listener is not null)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellation, far.FarFailed);
            try
            {
                TreeDataPath.Receive(incoming, options, listener, either.Token);
            }
            catch (Exception e) when ((e is OperationCanceledException || SpliceCmdlet.IsItemError(e)) && !cancellation.IsCancellationRequested)
            {
                RemoteFileCopy.ThrowFarFailure(far, host, cancellation);
                throw;
            }
        }
        else
        {
            var window = new SessionWindow.Receiver(far, cancellation);
            incoming.ReceiveFrom(TreeWires.FromChunks(() =>
            {
                if (window.Next() is { } chunk)
                {
                    return chunk;
                }

                // An answer before the stream's end is the far end's failure (or a stream cut short).
                RemoteFileCopy.Succeeded(window.Answer(), host);
                return null;
            }));
            RemoteFileCopy.Succeeded(window.Answer(), host);
        }

        if (listener is not null)
        {
            RemoteFileCopy.Succeeded(far.Next(cancellation), host);
        }

        far.Finish(cancellation);
        return true;
    }
}
