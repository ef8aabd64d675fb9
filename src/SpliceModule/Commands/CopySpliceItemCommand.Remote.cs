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

    private void ProcessRemote(bool literal)
    {
        if (ToSession is not null && FromSession is not null)
        {
            WriteError(new ErrorRecord(new ArgumentException("Copy-SpliceItem takes -FromSession or -ToSession, not both."), "InvalidInput", ErrorCategory.InvalidArgument, null));
            return;
        }

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
                sources = _paths!.ResolveExisting(input, literal).ToArray();
            }
            catch (Exception e) when (IsItemError(e))
            {
                WriteItemError(e, input);
                continue;
            }

            foreach (string source in sources.Where(s => IsNamedItemIncluded(NameOf(s))))
            {
                foreach (var session in ToSession!)
                {
                    if (ShouldProcess($"Item: {source} Destination: {Destination} ComputerName: {session.ComputerName}", "Copy File"))
                    {
                        RemoteStep(source, session, host => RemoteFileCopy.ToHost(host, source, Destination, Options(), Cancellation, bytes => _progress!.Report(source, bytes)), result => WriteRemoteItem(result, session.ComputerName));
                    }
                }
            }
        }
    }

    private void CopyFromSession(PSSession session)
    {
        if (!TryResolveDestination(out string destination))
        {
            return;
        }

        foreach (string source in ParameterSetName == LiteralPathSet ? LiteralPath : Path)
        {
            if (RequireAbsolute(source) && ShouldProcess($"Item: {source} Destination: {destination} ComputerName: {session.ComputerName}", "Copy File"))
            {
                RemoteStep(source, session, host => RemoteFileCopy.FromHost(host, source, destination, Options(), Cancellation, bytes => _progress!.Report(source, bytes)), result =>
                {
                    TellAbout(result.DestinationPath, result.Metadata);
                    if (PassThru)
                    {
                        WriteCopiedItem(result.DestinationPath, result);
                    }
                });
            }
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

    private RemoteCopyOptions Options() => RemoteCopyOptions.Fresh(Transport) with { Force = Force, Preserve = Preserve, Verify = Verify, Sync = Sync };

    /// <summary>Prepares the session's host once, runs one copy, reports its failure as an item's.</summary>
    private void RemoteStep(string source, PSSession session, Func<RemoteHost, FileCopyResult> copy, Action<FileCopyResult> done)
    {
        try
        {
            if (!_hosts.TryGetValue(session, out var host))
            {
                host = RemoteHost.Prepare(session, Cancellation);
                _hosts[session] = host;
            }

            var result = copy(host);
            WriteVerbose($"Copied '{source}' {(FromSession is null ? "to" : "from")} '{session.ComputerName}': {result.Bytes} bytes by {Transport} ({result.Method}) in {result.Duration.TotalMilliseconds:0.#} ms.");
            done(result);
        }
        catch (RemoteCopyException e)
        {
            var category = Enum.TryParse<ErrorCategory>(e.Category, out var given) ? given
                : e.ErrorId is "SessionIsNotAvailable" or "RemoteNotLinux" or "RemoteModuleConflict" ? ErrorCategory.InvalidOperation : ErrorCategory.ConnectionError;
            WriteItemError(e, source, e.ErrorId, category);
        }
        catch (Exception e) when (IsItemError(e) || e is ArgumentException)
        {
            WriteFailure(e, source);
        }
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

    /// <summary>The file made on the far host, as -PassThru shows it, with the host's name.</summary>
    private void WriteRemoteItem(FileCopyResult result, string computer)
    {
        if (!PassThru)
        {
            return;
        }

        var item = new PSObject();
        item.TypeNames.Insert(0, "SpliceModule.RemoteCopiedFile");
        item.Properties.Add(new PSNoteProperty("Name", System.IO.Path.GetFileName(result.DestinationPath)));
        item.Properties.Add(new PSNoteProperty("FullName", result.DestinationPath));
        item.Properties.Add(new PSNoteProperty("Length", result.Bytes));
        item.Properties.Add(new PSNoteProperty("CopyMethod", result.Method));
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
