using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Get-SpliceCapability: which zero-copy calls work here, and whether reflinks work at a path.</summary>
[Cmdlet(VerbsCommon.Get, "SpliceCapability")]
[OutputType(typeof(SpliceCapability))]
public sealed class GetSpliceCapabilityCommand : SpliceCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        string? resolved = null;
        try
        {
            if (Path is not null)
            {
                resolved = new PathResolver(this).ResolveExisting(Path, literal: true).First();
            }

            WriteObject(CapabilityProbe.Probe(resolved));
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, Path);
        }
    }
}
