using System;
using System.Linq;
using System.Management.Automation;
using SpliceModule.Interop;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Copy-SpliceItem's parameters for copying only what changed (-Update, -Checksum,
/// -NoClobber, -Mirror), trying again (-Retry, -RetryDelay) and telling what was done (-Summary).</summary>
public sealed partial class CopySpliceItemCommand
{
    /// <summary>Leave a destination file of the same size and modification time (rsync's quick
    /// check; links with the same target and nodes of the same kind too); copy the rest.</summary>
    [Parameter]
    public SwitchParameter Update { get; set; }

    /// <summary>With -Update (implied): a file of the same size is left when its SHA-256 is the source's, whatever its time (rsync -c).</summary>
    [Parameter]
    public SwitchParameter Checksum { get; set; }

    /// <summary>Never replace anything that stands in the destination (cp -n); wins over -Update.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Make the destination tree equal to the source (robocopy /MIR, rsync -a --delete):
    /// implies -Recurse and -Update, and removes what the source does not have.</summary>
    [Parameter]
    public SwitchParameter Mirror { get; set; }

    /// <summary>Tries after the first for a file that fails with EAGAIN, EBUSY, ETXTBSY or EIO (robocopy /R).</summary>
    [Parameter]
    [Alias("MaximumRetryCount")]
    [ValidateRange(0, 1000)]
    public int Retry { get; set; }

    /// <summary>Seconds to wait before each further try (robocopy /W; Invoke-WebRequest's -RetryIntervalSec).</summary>
    [Parameter]
    [Alias("RetryIntervalSec")]
    [ValidateRange(0.0, 3600.0)]
    public double RetryDelay { get; set; } = 1;

    /// <summary>Emit one SpliceModule.SpliceCopySummary when the call ends (after any -PassThru items).</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    internal CopyTally Tally { get; } = new();

    private ExistingItems ExistingRule =>
        NoClobber ? ExistingItems.Keep
        : Checksum ? ExistingItems.ReplaceChangedContent
        : Update || Mirror ? ExistingItems.ReplaceChanged
        : ExistingItems.Replace;

    /// <summary>-Update and the rest compare and remove through held descriptors, which only the
    /// Linux path has: elsewhere (and with -Method PlatformCopy) they are refused before anything
    /// is copied, never silently ignored; so is -Mirror without -Container.</summary>
    private void RefuseSyncWithoutKernel()
    {
        if (Mirror && !Container)
        {
            // Without containers the items of several directories meet in one: no directory of the
            // destination is the copy of one of the source, so nothing could be mirrored safely.
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("-Mirror makes the destination equal to the source directory, which needs -Container (the default); -Container:$false would merge directories, so nothing was copied or removed."),
                "MirrorNeedsContainer",
                ErrorCategory.InvalidArgument,
                null));
        }

        if ((Update || Checksum || NoClobber || Mirror) && (!KernelFeatures.LinuxKernel || Method == CopyMethod.PlatformCopy))
        {
            ThrowTerminatingError(new ErrorRecord(
                new PlatformNotSupportedException("-Update, -Checksum, -NoClobber and -Mirror need the Linux kernel's descriptor calls, which are not available here (or -Method PlatformCopy was asked for)."),
                "SyncNotSupported",
                ErrorCategory.NotImplemented,
                null));
        }
    }

    /// <summary>-Mirror's removals: names that -Exclude (any item) or -Filter (files) leave out of
    /// the copy are left in the destination too; each removal is asked about when -Confirm (or
    /// $ConfirmPreference) may say no, which keeps the copy on this thread.</summary>
    private MirrorOptions? MirrorFor()
    {
        if (!Mirror)
        {
            return null;
        }

        return new MirrorOptions
        {
            IsLeftAlone = (name, isDirectory) => _exclude.Any(p => p.IsMatch(name)) || (!isDirectory && _filter is not null && !_filter.IsMatch(name)),
            MayRemove = AsksBeforeChanging ? AskToRemove : null,
        };
    }

    private bool AskToRemove(string path, bool isDirectory) => ShouldProcess(path, isDirectory ? "Remove Directory" : "Remove File");

    private bool AsksBeforeChanging =>
        (MyInvocation.BoundParameters.TryGetValue("Confirm", out var confirm) && confirm is SwitchParameter { IsPresent: true })
        || (GetVariableValue("ConfirmPreference") is ConfirmImpact preference && preference <= ConfirmImpact.Medium && !MyInvocation.BoundParameters.ContainsKey("Confirm"));

    private bool IsWhatIf =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var whatIf) ? whatIf is SwitchParameter { IsPresent: true } : GetVariableValue("WhatIfPreference") is true or SwitchParameter { IsPresent: true };

    /// <summary>-WhatIf -Mirror: says what would be removed (the copy itself was said by ShouldProcess).</summary>
    private void PreviewMirror(string source, string target, TreeWalkOptions walk)
    {
        if (!Mirror || !IsWhatIf || !KernelFeatures.LinuxKernel)
        {
            return;
        }

        try
        {
            using var plan = TreeWalker.Walk(source, walk);
            new MirrorPruner(MirrorFor()! with { MayRemove = AskToRemove }, _ => { }).Preview(plan, target, Cancellation);
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteFailure(e, source);
        }
    }

    /// <summary>Every item's error of this cmdlet, counted for the summary.</summary>
    private new void WriteItemError(Exception exception, object? target, string? errorId = null, ErrorCategory? category = null)
    {
        Tally.Failed();
        base.WriteItemError(exception, target, errorId, category);
    }

    internal void ReportRemoved(string destinationPath, int items)
    {
        Tally.Removed(items);
        WriteVerbose($"Removed '{destinationPath}' ({items} item{(items == 1 ? string.Empty : "s")}): the source does not have it (-Mirror).");
    }

    private void WriteSummary()
    {
        var summary = Tally.Finish();
        WriteVerbose(summary.ToString());
        if (Summary)
        {
            WriteObject(summary);
        }
    }
}
