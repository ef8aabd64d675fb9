using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Invoke-Tee: tee(2) a pipe into other pipes, or one source (path, pipe or descriptor) read once into several files.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "Tee", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(SpliceTransferResult), ParameterSetName = new[] { SourceSet })]
[OutputType(typeof(FileInfo))]
public sealed class InvokeTeeCommand : PipelineCmdlet
{
    private const string SourceSet = "Source";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>A KernelPipe (duplicated into pipes, or fanned out to files), a SpliceDescriptor (fanned
    /// out to files), or a file item (Get-Item, Get-ChildItem), read from its path as -LiteralPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SourceSet, ValueFromPipeline = true)]
    public object? Source { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string? LiteralPath { get; set; }

    /// <summary>KernelPipes (for a KernelPipe source) or file paths.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public object[] Destination { get; set; } = Array.Empty<object>();

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long? Length { get; set; }

    /// <summary>Write the destination files that were completed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Replace read-only destination files.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName != SourceSet)
        {
            TeeFile(ParameterSetName == LiteralPathSet ? LiteralPath! : Path!, ParameterSetName == LiteralPathSet);
        }
        else if (ItemPath(Source) is { } itemPath)
        {
            TeeFile(itemPath, literal: true);
        }
        else if (Unwrap(Source) is KernelPipe pipe && Destination.All(d => Unwrap(d) is KernelPipe))
        {
            TeePipes(pipe);
        }
        else
        {
            TeeDescriptor(Unwrap(Source));
        }
    }

    private void TeePipes(KernelPipe source)
    {
        foreach (object item in Destination)
        {
            try
            {
                var destination = (KernelPipe)Unwrap(item)!;
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
            catch (Exception e) when (IsItemError(e))
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
            destinations = ResolveDestinations(resolver, source);
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, input);
            return;
        }

        FanOut(source, destinations, request => TeeFanOut.Copy(request));
    }

    /// <summary>A pipe or descriptor (a socket, a FIFO) read once into several files.</summary>
    private void TeeDescriptor(object? value)
    {
        SpliceDescriptor source;
        string[] destinations;
        try
        {
            source = Endpoint.AsSource(value);
            destinations = ResolveDestinations(new PathResolver(this), source.Path ?? "stream");
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, value);
            return;
        }

        FanOut(source.DisplayName, destinations, request => TeeFanOut.CopyFrom(source, request));
    }

    private string[] ResolveDestinations(PathResolver resolver, string source) =>
        Destination.Select(d => Unwrap(d) is KernelPipe pipe
                ? throw new SpliceRefusedException(Refusal.NotADescriptor, $"-Destination mixes pipes ({pipe}) with files; tee into pipes only from a KernelPipe source, with pipes alone as destinations.")
                : TargetFor(resolver.ResolveNew(LanguagePrimitives.ConvertTo<string>(Unwrap(d))), source))
            .ToArray();

    private void FanOut(string source, string[] destinations, Func<TeeRequest, IReadOnlyList<TeeDestinationResult>> copy)
    {
        destinations = destinations.Where(d => ShouldProcess($"Item: {source} Destination: {d}", "Tee File")).ToArray();
        if (destinations.Length == 0)
        {
            return;
        }

        var progress = new ProgressReporter(this, 1, "Invoke-Tee");
        try
        {
            var outcomes = copy(new TeeRequest(source, destinations)
            {
                Length = Length ?? ByteTransfer.ToEnd,
                Force = Force,
                Wait = Wait,
                Progress = progress.Tracking($"{source} to {destinations.Length} destination{(destinations.Length == 1 ? string.Empty : "s")}"),
            });
            progress.Complete();
            foreach (var outcome in outcomes)
            {
                if (outcome.Failure is not null)
                {
                    WriteItemError(outcome.Failure, outcome.DestinationPath);
                    continue;
                }

                WriteVerbose($"Tee'd '{source}' to '{outcome.DestinationPath}': {outcome.Bytes} bytes in {outcome.Duration.TotalMilliseconds:0.#} ms.");
                TellAbout(outcome.DestinationPath, outcome.Metadata);
                if (PassThru)
                {
                    CopiedItemWriter.Write(this, outcome.ToResult());
                }
            }
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, source);
        }
        finally
        {
            progress.Complete();
        }
    }

    /// <summary>An existing directory receives the file under the source's own name, as with Copy-Item.</summary>
    private static string TargetFor(string destination, string source) =>
        Directory.Exists(destination) ? System.IO.Path.Combine(destination, System.IO.Path.GetFileName(source.TrimEnd('/'))) : destination;
}
