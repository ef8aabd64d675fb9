using System;
using System.Collections;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// The copying host's half of one remote file copy: starts the far half through the session
/// (RemoteScripts.Receive or Send), waits for it to say it is ready, moves the bytes with the
/// transport asked for, and collects the far half's result or failure. The far half and the
/// data connection are stopped and closed on every way out.
/// </summary>
internal static class RemoteFileCopy
{
    /// <summary>One file to one or several hosts at once, read (and hashed for -Verify) once:
    /// Plain sends it from the page cache by sendfile on each host's connection, Encrypted seals
    /// each record once for all of them (SealedFanOut), Session sends it through each session. The
    /// copying thread waits, reporting the bytes each host has been sent, and gets each host's
    /// result or failure: a host that fails is that host's error only.</summary>
    public static (FileCopyResult? Result, Exception? Failure)[] ToHosts(RemoteHost[] hosts, string source, string destination, RemoteCopyOptions options, CancellationToken cancellation, Action<long[]> report)
    {
        using var outgoing = new OutgoingFile(source, options.Verify, cancellation);

        // One host may take a large file on several connections; a fan-out sends one stream each.
        options = options with { Stripes = hosts.Length == 1 ? DataPath.StripesOffered : 1 };
        bool striped = DataPath.StripesFor(outgoing.Header, options) > 1;
        using var fan = options.Transport == RemoteTransport.Encrypted && !striped ? new SealedFanOut(outgoing, ChannelSecret.Parse(options.Key, "key"), hosts.Length, cancellation) : null;
        var sealing = fan is null ? Task.CompletedTask : Task.Run(fan.Produce);
        long[] sent = new long[hosts.Length];
        var copies = hosts.Select((host, i) => Task.Run(() =>
        {
            try
            {
                // Each host's connection has its own secret; the records' key is the copy's.
                return ToHost(host, outgoing, destination, options with { Secret = ChannelSecret.NewText() }, fan, i, cancellation, bytes => Interlocked.Exchange(ref sent[i], bytes));
            }
            finally
            {
                fan?.Leave(i);
            }
        })).ToArray();
        long[] Sent() => sent.Select((_, i) => Interlocked.Read(ref sent[i])).ToArray();

        // A continuation that never faults, to wait on without an AggregateException.
        var all = Task.WhenAll(copies).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        try
        {
            while (!all.Wait(200))
            {
                report(Sent());
            }

            report(Sent());
        }
        finally
        {
            // Reporting throws once the pipeline stops (Ctrl+C): the copies see the same
            // cancellation and close their files and connections within a wait slice; let them.
            all.Wait(TimeSpan.FromSeconds(5));
            sealing.ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(5));
        }

        return copies.Select(c => c.IsCompletedSuccessfully ? (c.Result, (Exception?)null) : ((FileCopyResult?)null, c.Exception?.GetBaseException() ?? new OperationCanceledException())).ToArray();
    }

    private static FileCopyResult ToHost(RemoteHost host, OutgoingFile outgoing, string destination, RemoteCopyOptions options, SealedFanOut? fan, int member, CancellationToken cancellation, Action<long> progress)
    {
        bool throughSession = options.Transport == RemoteTransport.Session;
        var parameters = new Hashtable { ["Destination"] = destination, ["Header"] = outgoing.Header.ToJson(), ["Options"] = options.ToJson() };
        using var far = new RemoteInvocation(host.Session, RemoteScripts.Receive, parameters, withInput: throughSession);
        object ready = Succeeded(far.Next(cancellation), host);
        var done = (Hashtable)Succeeded(throughSession ? SendThroughSession(far, host, outgoing, cancellation, progress) : Send(far, host, outgoing, options, ready, fan, member, cancellation, progress), host);
        far.Finish(cancellation);
        return new FileCopyResult(outgoing.Header.SourcePath, (string)done["Path"]!, outgoing.Method, Convert.ToInt64(done["Bytes"]), outgoing.Elapsed)
        {
            Sha256 = done["Sha256"] as string,
            Metadata = new MetadataReport(false, done["Warning"] as string),
            ReplacedWarning = done["Replaced"] as string,
        };
    }

    /// <summary>Sends on a direct connection; returns the far end's answer.</summary>
    private static object Send(RemoteInvocation far, RemoteHost host, OutgoingFile outgoing, RemoteCopyOptions options, object ready, SealedFanOut? fan, int member, CancellationToken cancellation, Action<long> progress)
    {
        try
        {
            var (to, oneStream) = DataConnection.ParseOffer(ready.ToString()!);
            DataPath.Send(outgoing, oneStream ? options with { Stripes = 1 } : options, to, cancellation, progress, fan, member);
        }
        catch (Exception e) when (SpliceCmdlet.IsItemError(e) && !cancellation.IsCancellationRequested)
        {
            // The far end closing the connection is how its own failure (no space, say) shows
            // here: report that rather than the broken connection.
            ThrowFarFailure(far, host, cancellation);
            throw;
        }

        return far.Next(cancellation);
    }

    /// <summary>Sends through the session, a window of chunks at most in flight; the far end's
    /// failure comes instead of a credit. Returns the far end's answer.</summary>
    private static object SendThroughSession(RemoteInvocation far, RemoteHost host, OutgoingFile outgoing, CancellationToken cancellation, Action<long> progress)
    {
        var window = new SessionWindow.Sender(far, host, cancellation);
        long sent = 0;
        foreach (var chunk in outgoing.Chunks(OutgoingFile.SessionChunk, cancellation))
        {
            window.Send(chunk.ToArray());
            sent += chunk.Length;
            progress(sent);
        }

        return window.Complete();
    }

    /// <summary>Throws the far end's failure when it gives one within a moment.</summary>
    internal static void ThrowFarFailure(RemoteInvocation far, RemoteHost host, CancellationToken cancellation)
    {
        using var moment = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        moment.CancelAfter(TimeSpan.FromSeconds(2));
        object answer;
        try
        {
            answer = far.Next(moment.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Succeeded(answer, host);
    }

    /// <summary>One file from the host; <paramref name="progress"/> gets the bytes received and the
    /// bytes the far end announced.</summary>
    public static FileCopyResult FromHost(RemoteHost host, string source, string destination, RemoteCopyOptions options, CancellationToken cancellation, Action<long, long> progress)
    {
        bool throughSession = options.Transport == RemoteTransport.Session;
        using var listener = throughSession ? null : new DataListener(host.ClientAddress ?? SshConnection.Parse(null).Client);
        // A FIFO or device here is written in order, so the far end sends it on one connection.
        bool inPlace = IncomingFile.WouldWriteInPlace(destination, System.IO.Path.GetFileName(source.TrimEnd('/')));
        options = options with { EndPoint = listener?.EndPoint.ToString(), Stripes = inPlace ? 1 : DataPath.StripesOffered };
        using var far = new RemoteInvocation(host.Session, RemoteScripts.Send, new Hashtable { ["Path"] = source, ["Options"] = options.ToJson() }, withInput: throughSession);
        var header = RemoteFileHeader.FromJson((string)Succeeded(far.Next(cancellation), host));
        AnnouncedName.Require(header.Name, source);
        using var incoming = new IncomingFile(destination, header, options.RequestFor(source, destination, cancellation, bytes => progress(bytes, header.DataBytes)));
        FileCopyResult result;
        if (listener is not null)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellation, far.FarFailed);
            try
            {
                result = DataPath.Receive(incoming, options, listener, either.Token);
            }
            catch (Exception e) when ((e is OperationCanceledException || SpliceCmdlet.IsItemError(e)) && !cancellation.IsCancellationRequested)
            {
                ThrowFarFailure(far, host, cancellation);
                throw;
            }
        }
        else
        {
            var window = new SessionWindow.Receiver(far, cancellation);
            while (window.Next() is { } chunk)
            {
                incoming.Write(chunk);
            }

            Succeeded(window.Answer(), host);
            result = incoming.Commit();
        }

        if (listener is not null)
        {
            Succeeded(far.Next(cancellation), host);
        }

        far.Finish(cancellation);
        return result;
    }

    /// <summary>The far host's full paths for a -Path with wildcards (hidden items only with
    /// <paramref name="includeHidden"/>), asked without the module: nothing is brought there.</summary>
    public static string[] Resolve(PSSession session, string pattern, bool includeHidden, CancellationToken cancellation)
    {
        RemoteHost.RequireAvailable(session);
        using var far = new RemoteInvocation(session, RemoteScripts.Resolve, new Hashtable { ["Pattern"] = pattern, ["Force"] = includeHidden });
        object answer = far.Next(cancellation);
        far.Finish(cancellation);
        return answer is IEnumerable names and not string ? names.Cast<object>().Select(n => n.ToString()!).ToArray() : new[] { answer.ToString()! };
    }

    /// <summary>Whether <paramref name="path"/> is a directory on the far host (false when it is
    /// missing: the copy then says so), asked without the module.</summary>
    public static bool IsDirectory(PSSession session, string path, CancellationToken cancellation)
    {
        RemoteHost.RequireAvailable(session);
        using var far = new RemoteInvocation(session, RemoteScripts.IsDirectory, new Hashtable { ["Path"] = path });
        object answer = far.Next(cancellation);
        far.Finish(cancellation);
        return answer is true;
    }

    /// <summary>The far half's answer, or its failure as a RemoteCopyException with its error id.</summary>
    internal static object Succeeded(object answer, RemoteHost host)
    {
        if (answer is Hashtable { } failure && failure["Failed"] is true)
        {
            throw new RemoteCopyException((string)failure["ErrorId"]!, $"On '{host.ComputerName}': {failure["Message"]}")
            {
                Category = failure["Category"] as string,
            };
        }

        return answer;
    }
}
