using System;
using System.Management.Automation;

namespace SpliceModule.Commands;

/// <summary>Close-SpliceDescriptor: closes pipes and descriptors; closing twice is harmless.</summary>
[Cmdlet(VerbsCommon.Close, "SpliceDescriptor")]
[OutputType(typeof(void))]
public sealed class CloseSpliceDescriptorCommand : SpliceCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyCollection]
    public object[] InputObject { get; set; } = Array.Empty<object>();

    protected override void ProcessRecord()
    {
        foreach (object? item in InputObject)
        {
            switch (item is PSObject wrapped ? wrapped.BaseObject : item)
            {
                case KernelPipe pipe:
                    pipe.Dispose();
                    break;
                case SpliceDescriptor descriptor:
                    descriptor.Dispose();
                    break;
                case null:
                    break;
                default:
                    WriteItemError(
                        new ArgumentException($"Close-SpliceDescriptor closes KernelPipe and SpliceDescriptor objects, not {item.GetType().Name}."),
                        item, "NotADescriptor", ErrorCategory.InvalidArgument);
                    break;
            }
        }
    }
}
