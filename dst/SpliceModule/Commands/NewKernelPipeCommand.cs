using System.Management.Automation;

namespace SpliceModule.Commands;

/// <summary>New-KernelPipe: an anonymous pipe to splice, tee and vmsplice through.</summary>
[Cmdlet(VerbsCommon.New, "KernelPipe", SupportsShouldProcess = true)]
[OutputType(typeof(KernelPipe))]
public sealed class NewKernelPipeCommand : SpliceCmdlet
{
    /// <summary>Bytes to ask the kernel for; it rounds up to a power-of-two number of pages.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(1, int.MaxValue)]
    public int? Capacity { get; set; }

    [Parameter]
    public SwitchParameter NonBlocking { get; set; }

    protected override void BeginProcessing() => RequireLinuxKernel();

    protected override void EndProcessing()
    {
        if (!ShouldProcess(Capacity is { } c ? $"kernel pipe of {c} bytes" : "kernel pipe", "Create"))
        {
            return;
        }

        try
        {
            WriteObject(KernelPipe.Create(Capacity, NonBlocking));
        }
        catch (SpliceException e)
        {
            WriteItemError(e, Capacity, "PipeCapacityRefused", ErrorCategory.ResourceUnavailable);
        }
    }
}
