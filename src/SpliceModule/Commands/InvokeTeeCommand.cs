using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Invoke-Tee: tee(2) a pipe into other pipes, or one source read once into several files.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "Tee", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(SpliceTransferResult), ParameterSetName = new[] { PipeSet })]
[OutputType(typeof(FileInfo), ParameterSetName = new[] { PathSet, LiteralPathSet })]
public sealed class InvokeTeeCommand : PipelineCmdlet
{
    private const string PipeSet = "Pipe";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, ParameterSetName = PipeSet, ValueFromPipeline = true)]
    public KernelPipe? Source { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string? LiteralPath { get; set; }

    /// <summary>KernelPipes (with -Source) or file paths (with -Path/-LiteralPath).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public object[] Destination { get; set; } = Array.Empty<object>();

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long? Length { get; set; }

    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public SwitchParameter PassThru { get; set; }

    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == PipeSet)
        {
            TeePipes(Source!);
        }
        else
        {
            TeeFile(ParameterSetName == LiteralPathSet ? LiteralPath! : Path!, ParameterSetName == LiteralPathSet);
        }
    }

    private void TeePipes(KernelPipe source)
    {
        foreach (object item in Destination)
        {
            try
            {
                if (Unwrap(item) is not KernelPipe destination)
                {
                    throw new TransferRefusedException(TransferRefusal.NotADescriptor, $"With -Source, -Destination takes KernelPipes, not {Unwrap(item)?.GetType().Name ?? "null"}.");
                }

                if (!ShouldProcess(destination.ToString(), $"Tee from {source}"))
                {
                    continue;
                }

                var result = PipeTee.Into(source, destination, Length, Wait);
                if (Length is { } wanted && result.Bytes < wanted && source.BytesAvailable >= wanted)
                {
                    WriteWarning($"{destination} had room for {result.Bytes} of the {wanted} bytes asked for; tee(2) cannot add the rest later.");
                }

                WriteObject(result);
            }
            catch (Exception e) when (e is IOException or ArgumentException or TimeoutException or ObjectDisposedException or OperationCanceledException)
            {
                WriteItemError(e, item);
            }
        }
    }

    private void TeeFile(string input, bool literal)
    {
        var resolver = new PathResolver(this);
        string source;
        string[] destinations;
        try
        {
            var sources = resolver.ResolveExisting(input, literal);
            if (sources.Count != 1)
            {
                if (sources.Count > 1)
                {
                    WriteItemError(new ArgumentException($"'{input}' matches {sources.Count} items; Invoke-Tee reads exactly one source."), input, "AmbiguousPath", ErrorCategory.InvalidArgument);
                }

                return;
            }

            source = sources[0];
            destinations = Destination.Select(d => TargetFor(resolver.ResolveNew(LanguagePrimitives.ConvertTo<string>(Unwrap(d))), source)).ToArray();
        }
        catch (Exception e) when (e is ItemNotFoundException or ArgumentException or IOException or PSInvalidCastException)
        {
            WriteItemError(e, input);
            return;
        }

        destinations = destinations.Where(d => ShouldProcess($"Item: {source} Destination: {d}", "Tee File")).ToArray();
        if (destinations.Length == 0)
        {
            return;
        }

        try
        {
            var outcomes = TeeFanOut.Copy(new TeeRequest(source, destinations) { Length = Length ?? CopyJob.ToEnd, Force = Force, Wait = Wait });
            foreach (var outcome in outcomes)
            {
                if (outcome.Failure is not null)
                {
                    WriteItemError(outcome.Failure, outcome.DestinationPath);
                    continue;
                }

                WriteVerbose($"Tee'd '{source}' to '{outcome.DestinationPath}': {outcome.Bytes} bytes in {outcome.Duration.TotalMilliseconds:0.#} ms.");
                if (PassThru)
                {
                    CopiedItemWriter.Write(this, outcome.ToResult());
                }
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException or TimeoutException or OperationCanceledException or UnauthorizedAccessException)
        {
            WriteItemError(e, source);
        }
    }

    /// <summary>An existing directory receives the file under the source's own name, as with Copy-Item.</summary>
    private static string TargetFor(string destination, string source) =>
        Directory.Exists(destination) ? System.IO.Path.Combine(destination, System.IO.Path.GetFileName(source.TrimEnd('/'))) : destination;
}
