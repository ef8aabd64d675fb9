using System;
using System.Management.Automation;

namespace SpliceModule.Commands;

/// <summary>Close-SpliceDescriptor: closes pipes and descriptors; closing twice is harmless.</summary>
[Cmdlet(VerbsCommon.Close, "SpliceDescriptor")]
[OutputType(typeof(void))]
public sealed class CloseSpliceDescriptorCommand : SpliceCmdlet
{
    /// <summary>Null is allowed so that cleanup code such as <c>finally { $pipe | Close-SpliceDescriptor }</c>
    /// is harmless when the pipe was never made. Nested arrays (<c>$pipes, $file</c>) are unrolled.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyCollection]
    [AllowNull]
    public object?[]? InputObject { get; set; } = Array.Empty<object>();

    protected override void ProcessRecord()
    {
        foreach (object? item in Unroll(InputObject))
        {
            switch (item)
            {
                case KernelPipe pipe:
                    pipe.Dispose();
                    break;
                case SpliceDescriptor descriptor:
                    descriptor.Dispose();
                    break;
                case null:
                    break;
                case object other:
                    WriteItemError(
                        new ArgumentException($"Close-SpliceDescriptor closes KernelPipe and SpliceDescriptor objects, not {other.GetType().Name}."),
                        item, "NotADescriptor", ErrorCategory.InvalidArgument);
                    break;
            }
        }
    }
}
