using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Copy-SpliceItem: Copy-Item for files, through the kernel's fastest path.</summary>
[Cmdlet(VerbsCommon.Copy, "SpliceItem", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class CopySpliceItemCommand : SpliceCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    internal const string CopiedFileTypeName = "SpliceModule.CopiedFileInfo";

    private PathResolver? _paths;
    private ProgressReporter? _progress;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    [Parameter]
    public CopyMethod Method { get; set; } = CopyMethod.Auto;

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        _paths = new PathResolver(this);
        _progress = new ProgressReporter(this, 1, "Copy-SpliceItem");
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        string destination;
        try
        {
            destination = Destination is null ? _paths!.CurrentDirectory : _paths!.ResolveNew(Destination);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteItemError(e, Destination);
            return;
        }

        foreach (string input in literal ? LiteralPath : Path)
        {
            string[] sources;
            try
            {
                sources = _paths.ResolveExisting(input, literal).ToArray();
            }
            catch (Exception e) when (PathResolver.IsPathError(e))
            {
                WriteItemError(e, input);
                continue;
            }

            foreach (string source in sources)
            {
                CopyOne(source, destination);
            }
        }
    }

    protected override void EndProcessing() => _progress?.Complete();

    private void CopyOne(string source, string destination)
    {
        string target = Directory.Exists(destination)
            ? System.IO.Path.Combine(destination, System.IO.Path.GetFileName(source.TrimEnd('/')))
            : destination;
        if (!ShouldProcess($"Item: {source} Destination: {target}", "Copy File"))
        {
            return;
        }

        string? parent = System.IO.Path.GetDirectoryName(target);
        if (parent is not null && !Directory.Exists(parent))
        {
            WriteItemError(new DirectoryNotFoundException($"Cannot copy to '{target}': the directory '{parent}' does not exist."), source, "DestinationDirectoryNotFound", ErrorCategory.ObjectNotFound);
            return;
        }

        var progress = _progress!;
        progress.TotalBytes = progress.CompletedBytes + SizeOf(source);
        try
        {
            var result = FileCopier.Copy(new FileCopyRequest(source, target)
            {
                Method = Method,
                Force = Force,
                Cancellation = Cancellation,
                Progress = bytes => progress.Report(source, bytes),
            });
            progress.CompletedBytes += result.Bytes;
            WriteVerbose($"Copied '{source}' to '{target}': {result.Bytes} bytes by {result.Method} in {result.Duration.TotalMilliseconds:0.#} ms.");
            if (PassThru)
            {
                WriteCopiedItem(result);
            }
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteItemError(e, source);
        }
    }

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>The destination as Get-Item shows it (PSPath and all), plus how it was copied.</summary>
    private void WriteCopiedItem(FileCopyResult result)
    {
        foreach (var item in InvokeProvider.Item.Get(new[] { result.DestinationPath }, force: true, literalPath: true))
        {
            item.TypeNames.Insert(0, CopiedFileTypeName);
            item.Properties.Add(new PSNoteProperty("CopyMethod", result.Method));
            item.Properties.Add(new PSNoteProperty("BytesCopied", result.Bytes));
            item.Properties.Add(new PSNoteProperty("Duration", result.Duration));
            item.Properties.Add(new PSNoteProperty("BytesPerSecond", result.Duration.TotalSeconds > 0 ? (long)(result.Bytes / result.Duration.TotalSeconds) : 0L));
            item.Properties.Add(new PSNoteProperty("SourcePath", result.SourcePath));
            WriteObject(item);
        }
    }
}
