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
    /// <summary>A SpliceDescriptor, a KernelPipe (read from its read end), or a file item (Get-Item,
    /// Get-ChildItem), opened for reading for this transfer and closed after it.</summary>
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
        SpliceDescriptor? opened = null;
        try
        {
            string? path = SourceItemPath(Source);
            var given = path is null ? Endpoint.AsSource(Unwrap(Source)) : null;
            var destination = Endpoint.AsDestination(Unwrap(Destination));
            if (!ShouldProcess(destination.DisplayName, $"Splice from {path ?? given!.DisplayName}"))
            {
                return;
            }

            var source = given ?? (opened = OpenForReading(path!));
            var request = new SpliceRequest(source, destination)
            {
                Length = Length,
                SourceOffset = SourceOffset,
                DestinationOffset = DestinationOffset,
                Wait = Wait,
                Progress = progress.Tracking($"{source.DisplayName} to {destination.DisplayName}"),
            };
            WriteObject(DescriptorSplicer.Run(request, WriteVerbose));
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, Unwrap(Source));
        }
        finally
        {
            opened?.Dispose();
            progress.Complete();
        }
    }
}
