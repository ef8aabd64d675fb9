using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// The far end of a tree copy (Copy-SpliceItem -Recurse -ToSession/-FromSession): what
/// RemoteScripts.ReceiveTree and SendTree call on the remote host. As <see cref="RemoteAgent"/>
/// for one file, nothing here throws for the copy as a whole: its failure is kept and returned;
/// the failures of single items are collected with their error ids and returned at the end, with
/// what was made when the copying host asked for the list (-PassThru). Not for scripts of users.
/// </summary>
public sealed class RemoteTreeAgent : IDisposable
{
    /// <summary>Session chunks received ahead of the writer, at most (memory stays a few MiB).</summary>
    private const int ChunksAhead = 4;

    private readonly RemoteCopyOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Outcomes _outcomes;
    private IncomingTree? _incoming;
    private OutgoingTree? _outgoing;
    private DataListener? _listener;
    private BlockingCollection<byte[]>? _chunks;
    private Task? _worker;
    private FarStep? _finishing;
    private Hashtable? _failure;
    private readonly SessionWindow.FarSender _sending;

    private RemoteTreeAgent(string optionsJson)
    {
        _options = RemoteCopyOptions.FromJson(optionsJson);
        _outcomes = new Outcomes(_options.ListItems);
        _sending = new SessionWindow.FarSender(Chunks(), Finish);
    }

    /// <summary>What the copying host waits for first: the listener's address:port, "ready"
    /// (Session), the tree's header (sending), "file" (sending a path that is no directory), or the failure.</summary>
    public object? Ready { get; private set; }

    public bool ThroughSession => _options.Transport == RemoteTransport.Session;

    /// <summary>Sending: the path is a directory, whose tree is sent.</summary>
    public bool IsTree => _outgoing is not null;

    public static RemoteTreeAgent Receive(string destination, string headerJson, string optionsJson)
    {
        var agent = new RemoteTreeAgent(optionsJson);
        agent.Try(() =>
        {
            var header = RemoteTreeHeader.FromJson(headerJson);
            agent._incoming = new IncomingTree(destination, header, agent._options.RequestFor(header.SourcePath, destination, agent._stopping.Token), agent._outcomes);
            if (agent.ThroughSession)
            {
                var chunks = agent._chunks = new BlockingCollection<byte[]>(ChunksAhead);
                var token = agent._stopping.Token;
                var incoming = agent._incoming;
                agent._worker = Task.Run(() => incoming.ReceiveFrom(TreeWires.FromChunks(() => chunks.TryTake(out var chunk, Timeout.Infinite, token) ? chunk : null)));
                agent.Ready = "ready";
                return;
            }

            agent._listener = new DataListener(SshConnection.ThisHost());
            agent.Ready = agent._listener.EndPoint.ToString();
        });
        return agent;
    }

    public static RemoteTreeAgent Send(string path, string optionsJson)
    {
        var agent = new RemoteTreeAgent(optionsJson);
        agent.Try(() =>
        {
            if (!Directory.Exists(path))
            {
                agent.Ready = "file";
                return;
            }

            agent._outgoing = new OutgoingTree(path, agent.WalkOptions(), agent._options.Preserve, agent._options.Verify);
            agent.Ready = agent._outgoing.Header.ToJson();
        });
        return agent;
    }

    /// <summary>The copying host's -FollowSymlink, -Filter and -Exclude, as its own walk takes them.</summary>
    private TreeWalkOptions WalkOptions() =>
        CopySpliceItemCommand.FilteredWalk(_options.Filter is { } filter ? new WildcardPattern(filter, WildcardOptions.IgnoreCase) : null, CopySpliceItemCommand.Patterns(_options.Exclude))
            with { FollowSymlinks = _options.FollowSymlinks, Cancellation = _stopping.Token };

    /// <summary>Session, receiving: one chunk; once the writer has stopped (a failure), the rest is
    /// dropped. Answers the sender's credit for it, or the failure that ends the copy.</summary>
    public object Write(byte[] chunk)
    {
        if (_chunks is not null && _worker is not null && !_worker.IsCompleted)
        {
            Try(() => _chunks.Add(chunk, _stopping.Token));
        }

        return _failure ?? (object)SessionWindow.Credit;
    }

    /// <summary>Session, sending: as many next chunks as <paramref name="credit"/> allows, and after
    /// the last one what <see cref="Finish"/> returns.</summary>
    public IEnumerable<object> Granted(int credit) => _sending.Granted(credit);

    /// <summary>The stream in chunks, made by a worker while the script sends them.</summary>
    private IEnumerable<byte[]> Chunks()
    {
        if (_outgoing is null || _failure is not null)
        {
            yield break;
        }

        var chunks = _chunks = new BlockingCollection<byte[]>(ChunksAhead);
        var token = _stopping.Token;
        var outgoing = _outgoing;
        _worker = Task.Run(() =>
        {
            try
            {
                outgoing.SendTo(TreeWires.InChunks(chunk => chunks.Add(chunk, token)), token, null);
            }
            finally
            {
                chunks.CompleteAdding();
            }
        });
        using var taken = chunks.GetConsumingEnumerable(token).GetEnumerator();
        while (true)
        {
            byte[]? next = null;
            Try(() => next = taken.MoveNext() ? taken.Current : null);
            if (next is null)
            {
                yield break;
            }

            yield return next;
        }
    }

    /// <summary><see cref="Finish"/> as a step, which a stop of the script cuts short (a FIFO of the
    /// tree waiting for its reader, say).</summary>
    public FarStep Finishing() => _finishing = FarStep.Start(Finish);

    /// <summary>Receiving: takes the stream (direct transports) or waits for its writer (Session),
    /// then returns what was made and what failed. Sending: sends (direct transports) or waits for
    /// the chunks' worker. Returns the copy's failure instead when it failed as a whole. The far
    /// scripts take it as a step (<see cref="Finishing"/>).</summary>
    public Hashtable Finish()
    {
        Try(() =>
        {
            if (_incoming is not null && _listener is not null)
            {
                TreeDataPath.Receive(_incoming, _options, _listener, _stopping.Token);
                _listener.Dispose();
            }
            else if (_outgoing is not null && !ThroughSession)
            {
                TreeDataPath.Send(_outgoing, _options, DataConnection.Parse(_options.EndPoint ?? string.Empty), _stopping.Token, null);
            }
            else if (_worker is not null)
            {
                _chunks?.CompleteAdding();
                _worker.GetAwaiter().GetResult();
            }
        });
        if (_failure is not null)
        {
            return _failure;
        }

        return new Hashtable
        {
            ["Path"] = _incoming?.Path,
            ["Bytes"] = _incoming?.Bytes ?? 0L,
            ["Items"] = _outcomes.Items.ToArray(),
            ["Failures"] = _outcomes.Failures.ToArray(),
            ["Warnings"] = _outcomes.Warnings.ToArray(),
            ["Counted"] = _outcomes.Counted.ToAnswer(),
        };
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
        catch (Exception e) when (SpliceCmdlet.IsItemError(e) || e is ArgumentException or InvalidOperationException)
        {
            _failure = RemoteAgent.Failure(e);
            Ready ??= _failure;
            _stopping.Cancel();
            _listener?.Dispose();
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        // A step still running ends within its wait slice once cancelled; it uses what follows.
        FarStep.LetEnd(_finishing);
        _listener?.Dispose();
        try
        {
            _worker?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Stopped: its failure was reported, or nobody waits for it any more.
        }

        _sending.Dispose();
        _incoming?.Dispose();
        _outgoing?.Dispose();
        _chunks?.Dispose();
        _stopping.Dispose();
    }

    /// <summary>What the receiving side made and what failed, kept for the copying host.</summary>
    private sealed class Outcomes : ITreeCopyObserver
    {
        private readonly bool _listItems;

        public Outcomes(bool listItems) => _listItems = listItems;

        /// <summary>The far side writes the stream itself (IncomingTree), not through a tree run;
        /// items listed for -PassThru stand at their paths when they are listed.</summary>
        public bool NeedsItemsInPlace => _listItems;

        public List<Hashtable> Items { get; } = new();

        public List<Hashtable> Failures { get; } = new();

        public List<string> Warnings { get; } = new();

        public void ItemCopied(string sourcePath, string destinationPath, FileCopyResult? file, MetadataReport metadata)
        {
            if (metadata.Failure is { } failure)
            {
                Warnings.Add(failure);
            }

            if (file?.ReplacedWarning is { } replaced)
            {
                Warnings.Add(replaced);
            }

            if (_listItems)
            {
                Items.Add(new Hashtable { ["Path"] = destinationPath, ["Source"] = sourcePath, ["Bytes"] = file?.Bytes, ["Sha256"] = file?.Sha256 });
            }
        }

        public void MetadataNotice(string destinationPath, MetadataReport metadata)
        {
            if (metadata.Failure is { } failure)
            {
                Warnings.Add(failure);
            }
        }

        public void ItemFailed(string sourcePath, string destinationPath, Exception error)
        {
            var failure = RemoteAgent.Failure(error, pathsAreHere: false);
            failure["Path"] = sourcePath;
            Failures.Add(failure);
        }

        /// <summary>What was made, for the copying host's -Summary.</summary>
        public CopyTally Counted { get; } = new();

        public void Tally(bool isLeaf, FileCopyResult? file) => Counted.Count(isLeaf, file);

        public void Untouched(long items, long bytes)
        {
        }

        public void ItemRemoved(string destinationPath, int items)
        {
        }

        public void Notice(string message) => Warnings.Add(message);

        public void Progress(long bytesDone, int itemsDone, string? currentItem)
        {
        }
    }
}
