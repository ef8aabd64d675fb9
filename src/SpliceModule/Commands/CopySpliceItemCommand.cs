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
[OutputType(typeof(FileInfo), typeof(DirectoryInfo))]
public sealed class CopySpliceItemCommand : SpliceCmdlet
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
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        string destination;
        try
        {
            destination = Destination is null ? _paths!.CurrentDirectory : _paths!.ResolveNew(Destination);
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, Destination);
            return;
        }

        foreach (string input in literal ? LiteralPath : Path)
        {
            string[] sources;
            try
            {
                sources = _paths.ResolveExisting(input, literal).ToArray();
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

                if (Directory.Exists(source))
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

    protected override void EndProcessing() => _progress?.Complete();

    private static WildcardPattern[] Patterns(string[]? patterns) =>
        patterns?.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToArray() ?? Array.Empty<WildcardPattern>();

    private static string NameOf(string path) => System.IO.Path.GetFileName(path.TrimEnd('/'));

    /// <summary>-Include and -Exclude qualify the items named by -Path, as in Copy-Item.</summary>
    private bool IsNamedItemIncluded(string name) =>
        (_include.Length == 0 || _include.Any(p => p.IsMatch(name))) && !_exclude.Any(p => p.IsMatch(name));

    /// <summary>Inside a tree, -Filter and -Exclude pick the files; directories are always made.</summary>
    private bool IsFileInTreeIncluded(string name) =>
        (_filter is null || _filter.IsMatch(name)) && !_exclude.Any(p => p.IsMatch(name));

    private FileCopyRequest Options(string source, string target) => new(source, target)
    {
        Method = Method,
        Force = Force,
        Preserve = Preserve,
        Sync = Sync,
        Verify = Verify,
        Cancellation = Cancellation,
    };

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
                WriteVerbose($"Copied '{source}' to '{target}': {result.Bytes} bytes by {result.Method}{(result.Sparse ? " (sparse)" : string.Empty)} in {result.Duration.TotalMilliseconds:0.#} ms.");
                WarnIfNotVerified(result);
                TellAbout(result.DestinationPath, result.Metadata);
                if (result.SourceChangedWarning is { } changed)
                {
                    WriteWarning(changed);
                }

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

        string target = destinationIsDirectory && Container ? System.IO.Path.Combine(destination, NameOf(source)) : destination;
        if (!ShouldProcess($"Item: {source} Destination: {target}", "Copy Directory") || !RequireParentDirectory(target, source))
        {
            return;
        }

        try
        {
            var walk = new TreeWalkOptions
            {
                Recurse = Recurse,
                FollowSymlinks = FollowSymlink,
                KeepContainers = Container,
                IncludeLeaf = IsFileInTreeIncluded,
                Cancellation = Cancellation,
            };
            TreeReporter reporter;
            if (KernelFeatures.LinuxKernel)
            {
                using var plan = TreeWalker.Walk(source, walk);
                reporter = new TreeReporter(this, _progress!, plan.RootPath, plan.FileCount, plan.TotalBytes);
                TreeCopier.Copy(plan, target, Options(source, target), ThrottleLimit, reporter);
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

    /// <summary>Error ids of a copy that went wrong; -Verify's mismatch gets its own.</summary>
    internal void WriteFailure(Exception e, object target)
    {
        if (e is CopyVerificationException)
        {
            WriteItemError(e, target, "VerifyMismatch", ErrorCategory.InvalidResult);
        }
        else
        {
            WriteItemError(e, target);
        }
    }

    internal void WarnIfNotVerified(FileCopyResult result)
    {
        if (Verify && result.Sha256 is null)
        {
            WriteWarning($"'{result.SourcePath}' was not verified: it cannot be read a second time (a FIFO or device), or the destination cannot be read back.");
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
        if (result is not null)
        {
            item.TypeNames.Insert(0, CopiedFileTypeName);
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
