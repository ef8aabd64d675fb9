using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Open-SpliceDescriptor: a file, FIFO or device by path, or a TCP or Unix-domain stream socket by URI.</summary>
[Cmdlet(VerbsCommon.Open, "SpliceDescriptor", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(SpliceDescriptor))]
public sealed class OpenSpliceDescriptorCommand : PipelineCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string UriSet = "Uri";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = UriSet)]
    public Uri? Uri { get; set; }

    /// <summary>Wait for one peer to connect at -Uri instead of connecting to it.</summary>
    [Parameter(ParameterSetName = UriSet)]
    public SwitchParameter Listen { get; set; }

    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public DescriptorAccess Access { get; set; } = DescriptorAccess.Read;

    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public SwitchParameter Create { get; set; }

    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public SwitchParameter NonBlocking { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == UriSet)
        {
            OpenSocket(Uri!);
            return;
        }

        bool literal = ParameterSetName == LiteralPathSet;
        var resolver = new PathResolver(this);
        foreach (string input in literal ? LiteralPath : Path)
        {
            IReadOnlyList<string> paths;
            try
            {
                DescriptorOpener.RequireNoNul(input);
                paths = Create && (literal || !WildcardPattern.ContainsWildcardCharacters(input))
                    ? new[] { resolver.ResolveNew(input) }
                    : resolver.ResolveExisting(input, literal);
            }
            catch (Exception e) when (IsItemError(e))
            {
                WritePathError(e, input);
                continue;
            }

            foreach (string path in paths)
            {
                OpenPath(path);
            }
        }
    }

    private void OpenPath(string path)
    {
        // Every open is asked about, a read too: opening a FIFO is seen by its writer, and with
        // -WhatIf the cmdlet opens nothing and writes nothing.
        if (!ShouldProcess(path, $"Open for {Access}{(Create ? " (create if missing)" : string.Empty)}"))
        {
            return;
        }

        try
        {
            WriteObject(DescriptorOpener.OpenPath(path, Access, Create, NonBlocking, Wait));
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, path);
        }
    }

    private void OpenSocket(Uri uri)
    {
        if (!ShouldProcess(uri.OriginalString, Listen ? "Listen for one connection" : "Connect"))
        {
            return;
        }

        try
        {
            // A relative unix: path is relative to PowerShell's location, like -LiteralPath, not to
            // the process's working directory (Set-Location changes only the first).
            var resolver = new PathResolver(this);
            WriteObject(SocketOpener.OpenSocket(uri, Listen, Wait, resolver.ResolveNew));
        }
        catch (Exception e) when (IsItemError(e))
        {
            WritePathError(e, uri);
        }
    }

    /// <summary>One path that cannot be resolved (an unknown drive or provider, another provider, a
    /// missing item) is reported for that path, and the others still open.</summary>
    private void WritePathError(Exception e, object target)
    {
        if (e is ProviderNotFoundException)
        {
            WriteItemError(e, target, "ProviderNotFound", ErrorCategory.ObjectNotFound);
            return;
        }

        WriteItemError(e, target);
    }
}
