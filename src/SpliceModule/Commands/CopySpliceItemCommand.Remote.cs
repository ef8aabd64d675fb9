using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// Copy-SpliceItem -ToSession / -FromSession: Copy-Item's remote copy, with the PSSession as the
/// control channel only (RemoteHost, RemoteAgent) and the bytes on a direct data connection
/// (Remote/DataPath) or, with -Transport Session, through the session in binary chunks.
/// Remote paths are absolute, as Copy-Item requires; its error ids where it has one.
/// </summary>
public sealed partial class CopySpliceItemCommand
{
    private readonly Dictionary<PSSession, RemoteHost> _hosts = new();

    /// <summary>Copy to these sessions' hosts; -Destination is a path there.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public PSSession[]? ToSession { get; set; }

    /// <summary>Copy from this session's host; -Path is a path there.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public PSSession? FromSession { get; set; }

    /// <summary>How the bytes travel to or from a session's host.</summary>
    [Parameter]
    public RemoteTransport Transport { get; set; } = RemoteTransport.Encrypted;

    private bool IsRemote => ToSession is not null || FromSession is not null;

    /// <summary>Switches the copy to or from a session does not carry out are refused before
    /// anything is copied, never silently ignored: -Method (the transport decides how the bytes
    /// travel), -Retry and -RetryDelay (what they try again is a local file's open and read), and
    /// -Preserve ExtendedAttributes named on its own (attributes are not carried between hosts;
    /// -Preserve All copies the rest and warns once, <see cref="WarnAboutAttributesOnce"/>).</summary>
    private void RefuseLocalOnlySwitchesForSessions()
    {
        if (!IsRemote)
        {
            return;
        }

        bool attributes = (Preserve & CopyPreserve.ExtendedAttributes) != 0 && (Preserve & CopyPreserve.All) != CopyPreserve.All;
        var given = new[]
        {
            (Update.IsPresent, "-Update"), (Checksum.IsPresent, "-Checksum"), (NoClobber.IsPresent, "-NoClobber"), (Mirror.IsPresent, "-Mirror"), (InPlace.IsPresent, "-InPlace"), (!Container, "-Container:$false"),
            (Method != CopyMethod.Auto, $"-Method {Method}"), (Retry > 0, "-Retry"), (MyInvocation.BoundParameters.ContainsKey(nameof(RetryDelay)), "-RetryDelay"), (attributes, "-Preserve ExtendedAttributes"),
        }.Where(s => s.Item1).Select(s => s.Item2).ToArray();
        if (given.Length > 0)
        {
            string why = (Method != CopyMethod.Auto ? " A remote copy's bytes go by -Transport." : string.Empty)
                + (attributes ? " Extended attributes are not carried to or from a session's host (-Preserve All copies the rest, with a warning)." : string.Empty);
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"{string.Join(", ", given)} cannot be used with -ToSession or -FromSession yet; nothing was copied.{why}"),
                "NotSupportedForSessions",
                ErrorCategory.InvalidArgument,
                null));
        }
    }

    private bool _attributesWarned;

    /// <summary>-Preserve All to or from a session: one warning a command that the extended
    /// attributes, which no remote copy carries, were left off (the rest is kept).</summary>
    private void WarnAboutAttributesOnce()
    {
        if (_attributesWarned || (Preserve & CopyPreserve.ExtendedAttributes) == 0)
        {
            return;
        }

        _attributesWarned = true;
        WriteWarning("-Preserve All: extended attributes are not carried to or from a session's host, so the remote copies do not have them; the rest of what -Preserve All keeps is kept.");
    }

    private void ProcessRemote(bool literal)
    {
        if (ToSession is not null && FromSession is not null)
        {
            WriteError(new ErrorRecord(new ArgumentException("Copy-SpliceItem takes -FromSession or -ToSession, not both."), "InvalidInput", ErrorCategory.InvalidArgument, null));
            return;
        }

        // Sessions may come by property name from the pipeline, after BeginProcessing's check.
        RefuseLocalOnlySwitchesForSessions();
        if (ToSession is not null)
        {
            CopyToSessions(literal);
        }
        else
        {
            CopyFromSession(FromSession!);
        }
    }

    private void CopyToSessions(bool literal)
    {
        if (string.IsNullOrEmpty(Destination))
        {
            WriteError(new ErrorRecord(new ArgumentNullException(nameof(Destination), "The remote path Destination must be given for a copy to a session."), "CopyItemRemoteDestinationIsNullOrEmpty", ErrorCategory.InvalidArgument, null));
            return;
        }

        if (!RequireAbsolute(Destination))
        {
            return;
        }

        foreach (string input in literal ? LiteralPath : Path)
        {
            string[] sources;
            try
            {
                sources = _paths!.ResolveExisting(input, literal, includeHidden: Force).ToArray();
            }
            catch (Exception e) when (IsItemError(e))
            {
                WriteItemError(e, input);
                continue;
            }

            foreach (string source in sources.Where(s => IsNamedItemIncluded(NameOf(s))))
            {
                if (Recurse && Directory.Exists(source))
                {
                    CopyTreeToSessions(source);
                    continue;
                }

                CopyToHosts(source, DistinctSessions().Where(s => ShouldProcess($"Item: {source} Destination: {Destination} ComputerName: {s.ComputerName}", "Copy File")).ToList());
            }
        }
    }

    /// <summary>-ToSession without a session named twice: the same session twice would take the
    /// same copy twice at once, over one control channel.</summary>
    private List<PSSession> DistinctSessions()
    {
        var distinct = ToSession!.DistinctBy(s => s.InstanceId).ToList();
        if (distinct.Count < ToSession!.Length)
        {
            WriteVerbose($"-ToSession names {ToSession.Length - distinct.Count} session(s) more than once; each session's host gets one copy.");
        }

        return distinct;
    }

    /// <summary>One file to every host at once, read once (RemoteFileCopy.ToHosts); a host that
    /// fails is an error for that host, and the others complete.</summary>
    private void CopyToHosts(string source, List<PSSession> sessions)
    {
        var ready = new List<(PSSession Session, RemoteHost Host)>();
        foreach (var (session, prepared) in PrepareAll(sessions))
        {
            try
            {
                ready.Add((session, prepared.GetAwaiter().GetResult()));
            }
            catch (Exception e) when (IsItemError(e) || e is ArgumentException)
            {
                WriteRemoteFailure(e, source);
            }
        }

        if (ready.Count == 0)
        {
            return;
        }

        var progress = _progress!;
        long size = SizeOf(source);
        progress.TotalBytes = progress.CompletedBytes + (size * ready.Count);
        string[] names = ready.Select(r => r.Session.ComputerName).ToArray();
        (FileCopyResult? Result, Exception? Failure)[] outcomes;
        try
        {
            outcomes = RemoteFileCopy.ToHosts(ready.Select(r => r.Host).ToArray(), source, Destination!, Options(), Cancellation, sent =>
                progress.ReportHosts(source, sent.Sum(), sent.Select((bytes, i) => (names[i], bytes, size)).ToArray()));
        }
        catch (Exception e) when (IsItemError(e) || e is ArgumentException)
        {
            // The source itself could not be read: one error, whatever the number of hosts.
            WriteRemoteFailure(e, source);
            return;
        }

        for (int i = 0; i < outcomes.Length; i++)
        {
            if (outcomes[i].Failure is { } failure)
            {
                WriteRemoteFailure(failure, source);
                continue;
            }

            var result = outcomes[i].Result!;
            progress.CompletedBytes += result.Bytes;
            Tally.Count(isLeaf: true, result);
            WriteVerbose($"Copied '{source}' to '{names[i]}': {result.Bytes} bytes by {Transport} ({result.Method}) in {result.Duration.TotalMilliseconds:0.#} ms.");
            WarnAbout(result);
            TellAbout(result.DestinationPath, result.Metadata);
            WriteRemoteItem(result, names[i], size);
        }
    }

    private void CopyFromSession(PSSession session)
    {
        if (!TryResolveDestination(out string destination))
        {
            return;
        }

        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string source in (literal ? LiteralPath : Path).Where(RequireAbsolute).SelectMany(p => ResolveRemote(session, p, literal)))
        {
            if (IsNamedItemIncluded(NameOf(source)) && ShouldProcess($"Item: {source} Destination: {destination} ComputerName: {session.ComputerName}", FarCopyAction(session, source)))
            {
                // As a local copy says it (the far side would only find the directory missing).
                if (!Directory.Exists(destination) && !RequireParentDirectory(destination, source))
                {
                    continue;
                }

                if (Recurse && TryCopyTreeFromSession(source, session, destination))
                {
                    continue;
                }

                RemoteStep(source, session, host => RemoteFileCopy.FromHost(host, source, destination, Options(), Cancellation, (bytes, expected) =>
                {
                    _progress!.TotalBytes = _progress.CompletedBytes + expected;
                    _progress.Report($"{source} from {session.ComputerName}", bytes);
                }), result =>
                {
                    _progress!.CompletedBytes += result.Bytes;
                    WarnAbout(result);
                    Tally.Count(isLeaf: true, result);
                    TellAbout(result.DestinationPath, result.Metadata);
                    if (PassThru)
                    {
                        // Holes stay holes here too: fewer bytes came than the file is long.
                        WriteCopiedItem(result.DestinationPath, result with { Sparse = result.Bytes < SizeOf(result.DestinationPath) });
                    }
                });
            }
        }
    }

    /// <summary>What -WhatIf and -Confirm call copying <paramref name="source"/>, in Copy-Item's words:
    /// a directory copied with -Recurse is a tree, which the far host is asked about.</summary>
    private string FarCopyAction(PSSession session, string source)
    {
        try
        {
            return Recurse && RemoteFileCopy.IsDirectory(session, source, Cancellation) ? "Copy Directory" : "Copy File";
        }
        catch (Exception e) when (IsItemError(e))
        {
            // The copy itself meets the same failure and reports it.
            return "Copy File";
        }
    }

    /// <summary>The local destination (PowerShell's location when none is given); false after reporting why not.</summary>
    private bool TryResolveDestination(out string destination)
    {
        try
        {
            destination = Destination is null ? _paths!.CurrentDirectory : _paths!.ResolveNew(Destination);
            return true;
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, Destination);
            destination = string.Empty;
            return false;
        }
    }

    /// <summary>-Path on the far host: wildcards are resolved there, where the files are (a
    /// pattern that matches nothing is silent; hidden items match only with -Force, as for a
    /// local copy); a literal path goes as it is.</summary>
    private IEnumerable<string> ResolveRemote(PSSession session, string path, bool literal)
    {
        if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
        {
            return new[] { path };
        }

        try
        {
            // Without the module there (-WhatIf changes nothing on the far host): a plain Get-Item.
            // The far host's answer decides the names things get here: each must match the pattern's last part.
            var leaf = new WildcardPattern(NameOf(path), WildcardOptions.IgnoreCase);
            var found = RemoteFileCopy.Resolve(session, path, includeHidden: Force, Cancellation);
            foreach (string stray in found.Where(f => !leaf.IsMatch(NameOf(f))))
            {
                WriteRemoteFailure(new RemoteCopyException("RemoteNameMismatch", $"The far host answered '{path}' with '{stray}', whose name the pattern does not match; it was not copied.") { Category = "SecurityError" }, stray);
            }

            return found.Where(f => leaf.IsMatch(NameOf(f))).ToArray();
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteRemoteFailure(e, path);
            return Array.Empty<string>();
        }
    }

    /// <summary>The sessions' hosts made ready at once (each probe is a round trip, and a host
    /// that lacks the module is sent it); each task gives the host or its failure.</summary>
    private List<(PSSession Session, System.Threading.Tasks.Task<RemoteHost> Host)> PrepareAll(List<PSSession> sessions)
    {
        var prepared = sessions.Select(session => (session, _hosts.TryGetValue(session, out var known)
            ? System.Threading.Tasks.Task.FromResult(known)
            : System.Threading.Tasks.Task.Run(() => RemoteHost.Prepare(session, Cancellation)))).ToList();
        foreach (var (session, host) in prepared)
        {
            try
            {
                host.Wait(Cancellation);
                _hosts[session] = host.Result;
            }
            catch (AggregateException)
            {
                // The caller reports it, from the task.
            }
        }

        return prepared;
    }

    private RemoteHost HostFor(PSSession session)
    {
        if (!_hosts.TryGetValue(session, out var host))
        {
            host = RemoteHost.Prepare(session, Cancellation);
            _hosts[session] = host;
        }

        return host;
    }

    private RemoteCopyOptions Options()
    {
        WarnAboutAttributesOnce();
        return RemoteCopyOptions.Fresh(Transport) with { Force = Force, Preserve = Preserve, KeepReplaced = KeptOfReplacedFiles(), Verify = Verify, Sync = Sync };
    }

    /// <summary>Prepares the session's host once, runs one copy, reports its failure as an item's.</summary>
    private void RemoteStep(string source, PSSession session, Func<RemoteHost, FileCopyResult> copy, Action<FileCopyResult> done)
    {
        try
        {
            var result = copy(HostFor(session));
            WriteVerbose($"Copied '{source}' {(FromSession is null ? "to" : "from")} '{session.ComputerName}': {result.Bytes} bytes by {Transport} ({result.Method}) in {result.Duration.TotalMilliseconds:0.#} ms.");
            done(result);
        }
        catch (Exception e) when (IsItemError(e) || e is ArgumentException)
        {
            WriteRemoteFailure(e, source);
        }
    }

    /// <summary>A remote copy's own failures keep their ids (and the far end's category); the rest as for a local copy.</summary>
    private void WriteRemoteFailure(Exception e, string source)
    {
        if (e is not RemoteCopyException remote)
        {
            WriteFailure(e, source);
            return;
        }

        var category = Enum.TryParse<ErrorCategory>(remote.Category, out var given) ? given
            : remote.ErrorId is "SessionIsNotAvailable" or "RemoteNotLinux" or "RemoteModuleConflict" ? ErrorCategory.InvalidOperation : ErrorCategory.ConnectionError;
        WriteItemError(remote, source, remote.ErrorId, category);
    }

    private bool RequireAbsolute(string remotePath)
    {
        if (remotePath.StartsWith('/'))
        {
            return true;
        }

        WriteError(new ErrorRecord(new ArgumentException($"The remote path '{remotePath}' is not absolute; paths on a session's host must start with '/'."), "RemotePathIsNotAbsolute", ErrorCategory.InvalidArgument, remotePath));
        return false;
    }

    /// <summary>The file made on the far host, as -PassThru shows it, with the host's name; its
    /// length is the source's when given (a sparse file's holes are not among the bytes copied).
    /// An item of a tree that is no file sent here (a directory, a link) has no CopyMethod.</summary>
    private void WriteRemoteItem(FileCopyResult result, string computer, long? length = null, bool isFile = true)
    {
        if (!PassThru)
        {
            return;
        }

        var item = new PSObject();
        item.TypeNames.Insert(0, "SpliceModule.RemoteCopiedFile");
        item.Properties.Add(new PSNoteProperty("Name", System.IO.Path.GetFileName(result.DestinationPath)));
        item.Properties.Add(new PSNoteProperty("FullName", result.DestinationPath));
        item.Properties.Add(new PSNoteProperty("Length", length ?? result.Bytes));
        item.Properties.Add(new PSNoteProperty("CopyMethod", isFile ? result.Method : null));
        item.Properties.Add(new PSNoteProperty("BytesCopied", result.Bytes));
        item.Properties.Add(new PSNoteProperty("Duration", result.Duration));
        item.Properties.Add(new PSNoteProperty("BytesPerSecond", result.Duration.TotalSeconds > 0 ? (long)(result.Bytes / result.Duration.TotalSeconds) : 0L));
        item.Properties.Add(new PSNoteProperty("SourcePath", result.SourcePath));
        item.Properties.Add(new PSNoteProperty("Sha256", result.Sha256));
        item.Properties.Add(new PSNoteProperty("Transport", Transport));
        item.Properties.Add(new PSNoteProperty("PSComputerName", computer));
        WriteObject(item);
    }
}
