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
    /// <summary>Paths to report on, one capability each; taken literally, as Get-Item -LiteralPath does.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string[]? Path { get; set; }

    protected override void ProcessRecord()
    {
        if (Path is null)
        {
            WriteObject(CapabilityProbe.Probe(null));
            return;
        }

        foreach (string path in Path)
        {
            try
            {
                if (string.IsNullOrEmpty(path))
                {
                    // As Get-Item '' refuses it, rather than taking it for the current directory.
                    throw new SpliceRefusedException(Refusal.InvalidPath, "An empty -Path names no item; use '.' for the current location.");
                }

                WriteObject(CapabilityProbe.Probe(new PathResolver(this).ResolveExisting(path, literal: true).First()));
            }
            catch (Exception e) when (IsItemError(e))
            {
                WriteItemError(e, path);
            }
        }
    }
}
