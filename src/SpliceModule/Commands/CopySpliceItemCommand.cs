using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using SpliceModule.Interop;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

// Longer than 300 lines: Copy-Item's parameter set is large; each parameter is a few lines, and the tree
// reporting is TreeReporter's.

/// <summary>Copy-SpliceItem: Copy-Item for files and directory trees, through the kernel's fastest path.</summary>
[Cmdlet(VerbsCommon.Copy, "SpliceItem", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo), typeof(DirectoryInfo), typeof(SpliceCopySummary))]
public sealed partial class CopySpliceItemCommand : SpliceCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    internal const string CopiedFileTypeName = "SpliceModule.CopiedFileInfo";

    private PathResolver? _paths;
    private ProgressReporter? _progress;
    private WildcardPattern[] _include = Array.Empty<WildcardPattern>();
    private WildcardPattern[] _exclude = Array.Empty<WildcardPattern>();
    private WildcardPattern? _filter;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    [Parameter]
    public CopyMethod Method { get; set; } = CopyMethod.Auto;

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Copy what a directory holds, all the way down.</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    /// <summary>Keep the directory structure (on by default); off puts every file directly in the destination.</summary>
    [Parameter]
    public SwitchParameter Container { get; set; } = true;

    /// <summary>Inside a tree, copy only files whose names match (directories are always made).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Filter { get; set; }

    /// <summary>Copy only the named items (-Path items) whose names match one of these patterns.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Include { get; set; }

    /// <summary>Leave out named items, and files inside a tree, whose names match one of these patterns.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Exclude { get; set; }

    /// <summary>Copy what symbolic links inside a tree point to instead of the links (cp -L).</summary>
    [Parameter]
    public SwitchParameter FollowSymlink { get; set; }

    [Parameter]
    public CopyPreserve Preserve { get; set; } = CopyPreserve.Mode | CopyPreserve.Timestamps;

    /// <summary>Write into an existing destination file (same inode: its hard links, owner and mode stay), as cp does; not atomic.</summary>
    [Parameter]
    public SwitchParameter InPlace { get; set; }

    /// <summary>fsync each new file before it replaces the destination.</summary>
    [Parameter]
    public SwitchParameter Sync { get; set; }

    /// <summary>Compare SHA-256 of source and copy before the copy replaces the destination.</summary>
    [Parameter]
    public SwitchParameter Verify { get; set; }

    /// <summary>At most this many files of a tree copied at once; the copy uses one worker per
    /// processor the process may run on (sched_getaffinity), so the default is only the cap.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 64;

    protected override void BeginProcessing()
    {
        _paths = new PathResolver(this);
        _progress = new ProgressReporter(this, 1, "Copy-SpliceItem");
        _include = Patterns(Include);
        _exclude = Patterns(Exclude);
        _filter = Filter is null ? null : new WildcardPattern(Filter, WildcardOptions.IgnoreCase);
        RefuseSyncWithoutKernel();
        RefuseLocalOnlySwitchesForSessions();
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        if (IsRemote)
        {
            ProcessRemote(literal);
            return;
        }

        if (!TryResolveDestination(out string destination))
        {
            return;
        }

        foreach (string input in literal ? LiteralPath : Path)
        {
            string[] sources;
            try
            {
                sources = _paths!.ResolveExisting(input, literal, includeHidden: Force).ToArray();
            }
            catch (Exception e) when (IsItemError(e))
            {
                WriteItemError(e, input);
                continue;
            }

            foreach (string source in sources)
            {
                if (!IsNamedItemIncluded(NameOf(source)))
                {
                    continue;
                }

                if ((Preserve & CopyPreserve.Links) != 0 && KernelFeatures.LinuxKernel && IsSymbolicLink(source))
                {
                    CopyNamedLink(source, destination);
                }
                else if (Directory.Exists(source))
                {
                    CopyDirectory(source, destination);
                }
                else
                {
                    CopyOne(source, destination);
                }
            }
        }
    }

    protected override void EndProcessing()
    {
        _progress?.Complete();
        WriteSummary();
    }

    internal static WildcardPattern[] Patterns(string[]? patterns) =>
        patterns?.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToArray() ?? Array.Empty<WildcardPattern>();

    private static string NameOf(string path) => System.IO.Path.GetFileName(path.TrimEnd('/'));

    /// <summary>-Include and -Exclude qualify the items named by -Path, as in Copy-Item.</summary>
    private bool IsNamedItemIncluded(string name) =>
        (_include.Length == 0 || _include.Any(p => p.IsMatch(name))) && !_exclude.Any(p => p.IsMatch(name));


    private FileCopyRequest Options(string source, string target) => new(source, target)
    {
        Method = Method,
        Force = Force,
        Preserve = Preserve,
        KeepReplaced = KeptOfReplacedFiles(),
        InPlace = InPlace,
        Sync = Sync,
        Verify = Verify,
        Existing = ExistingRule,
        Retries = Retry,
        RetryDelay = TimeSpan.FromSeconds(RetryDelay),
        OnRetry = WriteWarning,
        Cancellation = Cancellation,
    };

    /// <summary>A file that is replaced keeps its owner, mode (and ACL) and security attributes, as cp
    /// keeps them, except what -Preserve, when given, asks to take from the source.</summary>
    private CopyPreserve KeptOfReplacedFiles() =>
        (CopyPreserve.Ownership | CopyPreserve.Mode | CopyPreserve.ExtendedAttributes) & ~(MyInvocation.BoundParameters.ContainsKey(nameof(Preserve)) ? Preserve : CopyPreserve.None);

    private bool RequireParentDirectory(string target, string source)
    {
        if (System.IO.Path.GetDirectoryName(target) is not { } parent || Directory.Exists(parent))
        {
            return true;
        }

        WriteMissingParent(target, source);
        return false;
    }

    private void WriteMissingParent(string target, string source) =>
        WriteItemError(new DirectoryNotFoundException($"Cannot copy to '{target}': the directory '{System.IO.Path.GetDirectoryName(target)}' does not exist."), source, "DestinationDirectoryNotFound", ErrorCategory.ObjectNotFound);

    private void CopyOne(string source, string destination)
    {
        // With the Linux calls the engine answers once where the item goes, and the copy writes that
        // answer; the platform's copy works by path.
        bool kernel = KernelFeatures.LinuxKernel && Method != CopyMethod.PlatformCopy;
        DestinationSlot? slot = null;
        string target;
        if (kernel)
        {
            try
            {
                slot = DestinationSlot.ForItem(destination, NameOf(source));
            }
            catch (SpliceException e) when (e.Errno is Errno.ENOENT or Errno.ENOTDIR)
            {
                WriteMissingParent(destination, source);
                return;
            }
            catch (Exception e) when (IsItemError(e))
            {
                WriteFailure(e, source);
                return;
            }

            target = slot.Path;
        }
        else
        {
            target = Directory.Exists(destination) ? System.IO.Path.Combine(destination, NameOf(source)) : destination;
        }

        using (slot)
        {
            if (!ShouldProcess($"Item: {source} Destination: {target}", "Copy File") || (!kernel && !RequireParentDirectory(target, source)))
            {
                return;
            }

            var progress = _progress!;
            progress.TotalBytes = progress.CompletedBytes + SizeOf(source);
            try
            {
                var request = Options(source, target) with { Progress = bytes => progress.Report(source, bytes) };
                var result = slot is null ? FileCopier.Copy(request) : FileCopier.Copy(request, slot);
                progress.CompletedBytes += result.Bytes;
                Tally.Count(isLeaf: true, result);
                if (result.Unchanged)
                {
                    WriteVerbose($"Left '{target}' as it was: it already matches '{source}'.");
                    TellAbout(result.DestinationPath, result.Metadata);
                    return;
                }

                WriteVerbose($"Copied '{source}' to '{target}': {result.Bytes} bytes by {result.Method}{(result.Sparse ? " (sparse)" : string.Empty)} in {result.Duration.TotalMilliseconds:0.#} ms.");
                WarnAbout(result);
                TellAbout(result.DestinationPath, result.Metadata);

                if (PassThru)
                {
                    WriteCopiedItem(result.DestinationPath, result);
                }
            }
            catch (Exception e) when (IsItemError(e))
            {
                WriteFailure(e, source);
            }
        }
    }

    private static bool IsSymbolicLink(string path) => new FileInfo(path.Length > 1 ? path.TrimEnd('/') : path).LinkTarget is not null;

    /// <summary>-Preserve Links (and All): a symbolic link named by -Path is copied as a link, as cp -a copies it.</summary>
    private void CopyNamedLink(string source, string destination)
    {
        try
        {
            using var slot = DestinationSlot.ForItem(destination, NameOf(source));
            if (ShouldProcess($"Item: {source} Destination: {slot.Path}", "Copy Symbolic Link"))
            {
                TellAbout(slot.Path, NodeCopier.CopyNamedLink(source, slot, Preserve, Force));
                if (PassThru)
                {
                    WriteCopiedItem(slot.Path, null);
                }
            }
        }
        catch (SpliceException e) when (e.Errno is Errno.ENOENT or Errno.ENOTDIR && !Directory.Exists(System.IO.Path.GetDirectoryName(destination)))
        {
            WriteMissingParent(destination, source);
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteFailure(e, source);
        }
    }

    /// <summary>A directory: into a missing destination it becomes that destination; into an
    /// existing directory it is nested under its own name (or, with -Container:$false, its files
    /// land directly in it). Without -Recurse only the empty directory is made.</summary>
    private void CopyDirectory(string source, string destination)
    {
        bool destinationIsDirectory = Directory.Exists(destination);
        if (!destinationIsDirectory && File.Exists(destination))
        {
            WriteFailure(new SpliceRefusedException(Refusal.DirectoryOntoFile, $"Cannot copy directory '{source}' onto the existing file '{destination}'."), source);
            return;
        }

        // -Mirror makes the destination itself the source's copy (robocopy /MIR, rsync src/ dst/).
        // A new destination written as a directory ("new/") is that directory, as with cp -r and Copy-Item.
        string target = destinationIsDirectory && Container && !Mirror ? System.IO.Path.Combine(destination, NameOf(source)) : System.IO.Path.TrimEndingDirectorySeparator(destination);
        var walk = WalkOptions() with { Recurse = Recurse || Mirror, KeepContainers = Container };
        if (!ShouldProcess($"Item: {source} Destination: {target}", "Copy Directory"))
        {
            PreviewMirror(source, target, walk);
            return;
        }

        if (!RequireParentDirectory(target, source))
        {
            return;
        }

        try
        {
            TreeReporter reporter;
            if (KernelFeatures.LinuxKernel)
            {
                var options = Options(source, target);
                using var unchanged = Container ? UnchangedInWalk.Open(target, options, Mirror) : null;
                using var plan = TreeWalker.Walk(source, walk with { Unchanged = unchanged });
                reporter = new TreeReporter(this, _progress!, plan.RootPath, plan.FileCount, plan.TotalBytes);
                TreeCopier.Copy(plan, target, options, ThrottleLimit, reporter, MirrorFor());
            }
            else
            {
                var tree = PlatformTreeCopier.Walk(source, walk);
                reporter = new TreeReporter(this, _progress!, tree.RootPath, tree.FileCount, tree.TotalBytes);
                tree.Copy(target, Options(source, target), reporter);
            }

            reporter.Finish();
            WriteVerbose($"Copied '{source}' to '{target}': {reporter.Items} items, {reporter.Bytes} bytes.");
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteFailure(e, source);
        }
    }

    /// <summary>How a tree is walked here: links, -Filter, -Exclude, -ThrottleLimit, Ctrl+C.</summary>
    internal TreeWalkOptions WalkOptions() =>
        FilteredWalk(_filter, _exclude) with { Parallelism = ThrottleLimit, FollowSymlinks = FollowSymlink, Cancellation = Cancellation };

    /// <summary>Inside a tree, -Filter and -Exclude pick the files; -Exclude also leaves out whole
    /// directories. (Also the far host's walk of a remote tree.)</summary>
    internal static TreeWalkOptions FilteredWalk(WildcardPattern? filter, WildcardPattern[] exclude) => new()
    {
        // No filter: no name made a string for each item of the walk.
        IncludeLeaf = filter is null && exclude.Length == 0 ? null : name => (filter is null || filter.IsMatch(name)) && !exclude.Any(p => p.IsMatch(name)),
        IncludeDirectory = exclude.Length == 0 ? null : name => !exclude.Any(p => p.IsMatch(name)),
    };

    /// <summary>Error ids of a copy that went wrong; -Verify's mismatch gets its own, and a self-copy is
    /// Copy-Item's CopyError (a file's record names the destination, a directory's the source, as in
    /// Copy-Item; the message keeps the precise reason).</summary>
    internal void WriteFailure(Exception e, object target)
    {
        var (id, category) = CopyFailureOf(e);
        WriteItemError(e, e is SpliceRefusedException { IsSelfCopy: true, Reason: Refusal.SameFile } self ? self.Data[SpliceRefusedException.SelfCopyKey]! : target, id, category);
    }

    /// <summary>The error id and category of a copy's failure, here or on a far host (RemoteAgent).</summary>
    internal static (string Id, ErrorCategory Category) CopyFailureOf(Exception e) => e switch
    {
        CopyVerificationException => ("VerifyMismatch", ErrorCategory.InvalidResult),
        SpliceRefusedException { IsSelfCopy: true } => ("CopyError", ErrorCategory.WriteError),
        _ => (ErrorIdFor(e), CategoryFor(e)),
    };

    /// <summary>What a finished file copy has to say: not verified, the source changed, or what the file it replaced kept.</summary>
    internal void WarnAbout(FileCopyResult result)
    {
        if (Verify && result.Sha256 is null)
        {
            WriteWarning($"'{result.SourcePath}' was not verified: it cannot be read a second time (a FIFO or device), or the destination cannot be read back.");
        }

        if (result.SourceChangedWarning is { } changed)
        {
            WriteWarning(changed);
        }

        if (result.ReplacedWarning is { } replaced)
        {
            WriteWarning(replaced);
        }
    }

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>The destination as Get-Item shows it (PSPath and all), built from what the copy knows,
    /// plus how it was copied.</summary>
    internal void WriteCopiedItem(string destinationPath, FileCopyResult? result)
    {
        var item = CopiedItemWriter.ItemFor(this, destinationPath);
        // Directories too, so that a tree's output is one table (a DirectoryInfo first would pick
        // Get-ChildItem's view, and the files after it would print as lists).
        item.TypeNames.Insert(0, CopiedFileTypeName);
        if (result is not null)
        {
            item.Properties.Add(new PSNoteProperty("CopyMethod", result.Method));
            item.Properties.Add(new PSNoteProperty("BytesCopied", result.Bytes));
            item.Properties.Add(new PSNoteProperty("Duration", result.Duration));
            item.Properties.Add(new PSNoteProperty("BytesPerSecond", result.Duration.TotalSeconds > 0 ? (long)(result.Bytes / result.Duration.TotalSeconds) : 0L));
            item.Properties.Add(new PSNoteProperty("SourcePath", result.SourcePath));
            item.Properties.Add(new PSNoteProperty("Sparse", result.Sparse));
            item.Properties.Add(new PSNoteProperty("Sha256", result.Sha256));
        }

        WriteObject(item);
    }
}
