using System;
using System.Collections;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// The far end of Copy-SpliceItem -ToSession/-FromSession: what the scripts that the copying host
/// runs through the PSSession call on the remote host (RemoteScripts). Not for scripts of users.
/// Nothing here throws for a failed item: the first failure is kept and <see cref="Finish"/>
/// returns it with its error id, so that the copying host reports it as Copy-Item would.
/// </summary>
public sealed class RemoteAgent : IDisposable
{
    private RemoteCopyOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private IncomingFile? _incoming;
    private OutgoingFile? _outgoing;
    private DataListener? _listener;
    private FarStep? _step;
    private Hashtable? _failure;
    private readonly SessionWindow.FarSender _sending;

    private RemoteAgent(string optionsJson)
    {
        _options = RemoteCopyOptions.FromJson(optionsJson);
        _sending = new SessionWindow.FarSender(Chunks(), Finish);
    }

    /// <summary>What the copying host waits for first: the listener's address:port (direct
    /// transports, receiving), the file header (sending), "ready" (Session, receiving), or the failure.</summary>
    public object? Ready { get; private set; }

    /// <summary>The bytes go through the session (output chunks, or pipeline input).</summary>
    public bool ThroughSession => _options.Transport == RemoteTransport.Session;

    /// <summary>The receiving end (ToSession): resolves and checks the destination, and for a direct
    /// transport listens on the address this host has on the SSH connection.
    /// A FIFO at the destination waits for its reader here, so this is a step (<see cref="Opening"/>).</summary>
    public static RemoteAgent Receive(string destination, string headerJson, string optionsJson)
    {
        var agent = new RemoteAgent(optionsJson);
        agent._step = FarStep.Start(() => agent.Open(destination, headerJson));
        return agent;
    }

    /// <summary>Receiving: the step that resolves and opens the destination; its result is <see cref="Ready"/>.</summary>
    public FarStep Opening => _step ?? throw new InvalidOperationException("Nothing is being received.");

    private object? Open(string destination, string headerJson)
    {
        Try(() =>
        {
            var header = RemoteFileHeader.FromJson(headerJson);
            _incoming = new IncomingFile(destination, header, _options.RequestFor(header.SourcePath, destination, _stopping.Token));
            if (_incoming.WritesInPlace)
            {
                // A FIFO or device is written in order: the file comes on one connection.
                _options = _options with { Stripes = 1 };
            }

            if (_options.Transport == RemoteTransport.Session)
            {
                Ready = "ready";
                return;
            }

            _listener = new DataListener(SshConnection.ThisHost());
            Ready = DataConnection.Offer(_listener.EndPoint, _incoming.WritesInPlace);
        });
        return Ready;
    }

    /// <summary>The sending end (FromSession): opens the source and announces it.</summary>
    public static RemoteAgent Send(string path, string optionsJson)
    {
        var agent = new RemoteAgent(optionsJson);
        agent.Try(() =>
        {
            agent._outgoing = new OutgoingFile(path, agent._options.Verify, agent._stopping.Token);
            agent.Ready = agent._outgoing.Header.ToJson();
        });
        return agent;
    }

    /// <summary>Session transport, receiving: one chunk that came through the session; answers
    /// the sender's credit for it, or the failure that ends the copy.</summary>
    public object Write(byte[] chunk)
    {
        Try(() => _incoming?.Write(chunk));
        return _failure ?? (object)SessionWindow.Credit;
    }

    /// <summary>Session transport, sending: as many next chunks as <paramref name="credit"/> allows,
    /// and after the last one what <see cref="Finish"/> returns.</summary>
    public IEnumerable<object> Granted(int credit) => _sending.Granted(credit);

    /// <summary>The file in chunks, each a new array (the session serializes it).</summary>
    private IEnumerable<byte[]> Chunks()
    {
        if (_outgoing is null || _failure is not null)
        {
            yield break;
        }

        using var chunks = _outgoing.Chunks(OutgoingFile.SessionChunk, _stopping.Token).GetEnumerator();
        while (true)
        {
            byte[]? next = null;
            Try(() => next = chunks.MoveNext() ? chunks.Current.ToArray() : null);
            if (next is null)
            {
                yield break;
            }

            yield return next;
        }
    }

    /// <summary><see cref="Finish"/> as a step, which a stop of the script cuts short.</summary>
    public FarStep Finishing() => _step = FarStep.Start(Finish);

    /// <summary>Receiving: takes the data connection (direct transports), checks and commits the
    /// file. Sending: connects to the copying host and sends (direct transports). Returns what
    /// was done, or the failure. The far scripts take it as a step (<see cref="Finishing"/>).</summary>
    public Hashtable Finish()
    {
        Hashtable? done = null;
        Try(() =>
        {
            if (_incoming is not null)
            {
                var result = _listener is null ? _incoming.Commit() : DataPath.Receive(_incoming, _options, _listener, _stopping.Token);
                _listener?.Dispose();
                done = new Hashtable
                {
                    ["Path"] = result.DestinationPath,
                    ["Bytes"] = result.Bytes,
                    ["Method"] = result.Method.ToString(),
                    ["Sha256"] = result.Sha256,
                    ["Warning"] = result.Metadata.Failure,
                    ["Replaced"] = result.ReplacedWarning,
                };
            }
            else if (_outgoing is not null)
            {
                long sent = _options.Transport == RemoteTransport.Session
                    ? _outgoing.Header.DataBytes
                    : DataPath.Send(_outgoing, _options, DataConnection.Parse(_options.EndPoint ?? string.Empty), _stopping.Token, null);
                done = new Hashtable { ["Bytes"] = sent, ["Method"] = _outgoing.Method.ToString() };
            }
        });
        return _failure ?? done ?? Failure(new InvalidOperationException("Nothing to finish."));
    }

    private void Try(Action step)
    {
        if (_failure is not null)
        {
            return;
        }

        try
        {
            step();
        }
        catch (Exception e) when (SpliceCmdlet.IsItemError(e) || e is ArgumentException or System.Net.Sockets.SocketException)
        {
            _failure = Failure(e);
            Ready ??= _failure;
            _listener?.Dispose();
        }
    }

    /// <summary>A failure as the copying host reports it. A path missing on this host is Copy-Item's
    /// RemotePathNotFound (a missing source to fetch, a missing directory to copy into), in its
    /// words; <paramref name="pathsAreHere"/> is false for a tree item's failure, which may have
    /// come from the sending host through the stream.</summary>
    internal static Hashtable Failure(Exception e, bool pathsAreHere = true)
    {
        if (pathsAreHere && e is SpliceException { Errno: Interop.Errno.ENOENT, Path: { } path })
        {
            e = new RemoteCopyException("RemotePathNotFound", $"Cannot find path '{path}' because it does not exist.") { Category = nameof(System.Management.Automation.ErrorCategory.ObjectNotFound) };
        }

        return new()
        {
            ["Failed"] = true,
            ["ErrorId"] = e switch
            {
                RemoteCopyException remote => remote.ErrorId,
                OperationCanceledException => "OperationStopped",
                _ => CopySpliceItemCommand.CopyFailureOf(e).Id,
            },
            ["Category"] = e switch
            {
                RemoteCopyException { Category: { } category } => category,
                _ => CopySpliceItemCommand.CopyFailureOf(e).Category.ToString(),
            },
            ["Message"] = e.Message,
        };
    }

    public void Dispose()
    {
        _stopping.Cancel();
        // A step still running ends within its wait slice once cancelled; it uses what follows.
        FarStep.LetEnd(_step);
        _listener?.Dispose();
        _sending.Dispose();
        _incoming?.Dispose();
        _outgoing?.Dispose();
        _stopping.Dispose();
    }
}
