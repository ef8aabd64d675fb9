using System;
using System.Management.Automation;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// What the pipeline cmdlets (Open-SpliceDescriptor, Invoke-Splice, Invoke-Tee, Write-VmSplice,
/// Read-KernelPipe) share: they need the Linux kernel, and every wait on a quiet pipe, FIFO or
/// socket honours Ctrl+C and an optional -TimeoutSec.
/// </summary>
public abstract class PipelineCmdlet : SpliceCmdlet
{
    /// <summary>The longest one wait for a pipe, FIFO or socket to become ready may last, in seconds.</summary>
    [Parameter]
    [ValidateRange(1, 2_147_483)]
    public int TimeoutSec { get; set; }

    internal ReadinessWait Wait => new(Cancellation, TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : null);

    protected override void BeginProcessing() => RequireLinuxKernel();

    /// <summary>The file system path of a file item given as a source (see <see cref="SpliceCmdlet.ItemPath"/>),
    /// resolved as -LiteralPath is; null for anything else. A missing item is PathNotFound.</summary>
    internal string? SourceItemPath(object? value) =>
        ItemPath(value) is { } path ? new PathResolver(this).ResolveExisting(path, literal: true)[0] : null;

    /// <summary>A file item's path opened for reading, as Open-SpliceDescriptor opens it; the caller closes it.</summary>
    internal SpliceDescriptor OpenForReading(string path) =>
        DescriptorOpener.OpenPath(path, DescriptorAccess.Read, create: false, nonBlocking: false, Wait);
}
