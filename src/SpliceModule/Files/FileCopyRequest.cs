using System;
using System.Threading;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>One file to copy, with paths already resolved to the final destination file name.</summary>
internal sealed record FileCopyRequest(string SourcePath, string DestinationPath)
{
    public CopyMethod Method { get; init; } = CopyMethod.Auto;

    /// <summary>With Method Auto: the first method to try, learnt from earlier files of a tree.</summary>
    public CopyMethod StartAt { get; init; } = CopyMethod.Auto;

    /// <summary>The source's size, as statx reports it, is its content's length (a disk or tmpfs
    /// file, not a /proc, /sys or FUSE one): a copy may stop after that many bytes instead of
    /// asking once more to find the end, and an empty file has nothing to read.</summary>
    public bool SourceSizeIsTrue { get; init; }

    /// <summary>Replace a destination whose write bits are all clear (Copy-Item's -Force).</summary>
    public bool Force { get; init; }

    /// <summary>What is carried over besides the content (-Preserve).</summary>
    public CopyPreserve Preserve { get; init; } = CopyPreserve.Mode | CopyPreserve.Timestamps;

    /// <summary>fsync the new file before it replaces the destination.</summary>
    public bool Sync { get; init; }

    /// <summary>Compare SHA-256 of source and new file before the new file replaces the destination.</summary>
    public bool Verify { get; init; }

    /// <summary>What a regular file that is replaced keeps of its own (owner, mode and ACL, security
    /// attributes): what -Preserve did not ask to take from the source, as cp keeps it.</summary>
    public CopyPreserve KeepReplaced { get; init; }

    /// <summary>Write into an existing regular file (its inode, links and identity kept), not atomic (-InPlace).</summary>
    public bool InPlace { get; init; }

    /// <summary>What to do with a destination that already stands there (-Update, -Checksum, -NoClobber).</summary>
    public ExistingItems Existing { get; init; } = ExistingItems.Replace;

    /// <summary>Tries after the first that a file failing with a transient error gets (-Retry).</summary>
    public int Retries { get; init; }

    /// <summary>The wait before each further try (-RetryDelay).</summary>
    public TimeSpan RetryDelay { get; init; }

    /// <summary>Told, on the copying thread, why a file is tried again.</summary>
    public Action<string>? OnRetry { get; init; }

    public CancellationToken Cancellation { get; init; }

    /// <summary>Bytes written so far; called on the copying thread after each chunk.</summary>
    public Action<long>? Progress { get; init; }

    /// <summary>The same options for another file of a tree (the files of a tree share them).</summary>
    public FileCopyRequest For(string sourcePath, string destinationPath, CopyMethod startAt, Action<long>? progress, bool sourceSizeIsTrue = false) =>
        this with { SourcePath = sourcePath, DestinationPath = destinationPath, StartAt = startAt, Progress = progress, SourceSizeIsTrue = sourceSizeIsTrue };
}

/// <summary>What a finished copy reports.</summary>
internal sealed record FileCopyResult(string SourcePath, string DestinationPath, CopyMethod Method, long Bytes, TimeSpan Duration)
{
    /// <summary>The source had holes and the copy kept them (only data extents were copied).</summary>
    public bool Sparse { get; init; }

    /// <summary>SHA-256 of the content when -Verify compared it, else null.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Bits left off for want of the owner, and what the destination would not take.</summary>
    public MetadataReport Metadata { get; init; }

    /// <summary>The file this copy wrote, as it was before it took its name: with -Preserve Links, for a
    /// source of several names, so that further names are linked only to this file and never to
    /// one put at its name since.</summary>
    public FileStatus? Written { get; init; }

    /// <summary>Set when the source changed size while it was copied (the copy holds what was read).</summary>
    public string? SourceChangedWarning { get; init; }

    /// <summary>Set when the file replaced had other names (they keep the old content), or could not
    /// pass on all of its owner, mode and attributes.</summary>
    public string? ReplacedWarning { get; init; }

    /// <summary>The destination already matched (or -NoClobber kept it): nothing was written but,
    /// maybe, its metadata; <see cref="FileCopyResult.Bytes"/> is the size left as it was.</summary>
    public bool Unchanged { get; init; }
}
