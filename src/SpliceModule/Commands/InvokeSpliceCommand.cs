using System;
using System.IO;
using System.Management.Automation;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Invoke-Splice: moves bytes from one descriptor or pipe to another with splice(2).</summary>
[Cmdlet(VerbsLifecycle.Invoke, "Splice", SupportsShouldProcess = true)]
[OutputType(typeof(SpliceTransferResult))]
public sealed class InvokeSpliceCommand : PipelineCmdlet
{
    /// <summary>A SpliceDescriptor, or a KernelPipe (read from its read end).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object? Source { get; set; }

    /// <summary>A SpliceDescriptor, or a KernelPipe (written through its write end).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public object? Destination { get; set; }

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long? Length { get; set; }

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long? SourceOffset { get; set; }

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long? DestinationOffset { get; set; }

    protected override void ProcessRecord()
    {
        var progress = new ProgressReporter(this, 1, "Invoke-Splice");
        try
        {
            var (source, destination) = (Endpoint.AsSource(Unwrap(Source)), Endpoint.AsDestination(Unwrap(Destination)));
            var request = new SpliceRequest(source, destination)
            {
                Length = Length,
                SourceOffset = SourceOffset,
                DestinationOffset = DestinationOffset,
                Wait = Wait,
                Progress = progress.Tracking($"{source.DisplayName} to {destination.DisplayName}"),
            };
            if (!ShouldProcess(destination.DisplayName, $"Splice from {source.DisplayName}"))
            {
                return;
            }

            WriteObject(DescriptorSplicer.Run(request, WriteVerbose));
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, Unwrap(Source));
        }
        finally
        {
            progress.Complete();
        }
    }
}
