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
}
