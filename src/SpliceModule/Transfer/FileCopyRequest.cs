using System;
using System.Threading;

namespace SpliceModule.Transfer;

/// <summary>One file to copy, with paths already resolved to the final destination file name.</summary>
internal sealed record FileCopyRequest(string SourcePath, string DestinationPath)
{
    public CopyMethod Method { get; init; } = CopyMethod.Auto;

    /// <summary>The caller has just seen a regular file here (a tree walk): skip the look before
    /// opening. Opened O_NONBLOCK all the same, so a FIFO swapped in meanwhile cannot block.</summary>
    public bool SourceKnownRegular { get; init; }

    /// <summary>The destination's directory was made moments ago by this copy and no other item
    /// goes to the same name, so the look at what stands there is skipped (a stat per file of a
    /// tree). Anything raced in meanwhile is replaced by the final rename, as an existing file is.</summary>
    public bool DestinationKnownAbsent { get; init; }

    /// <summary>With Method Auto: the first method to try, learnt from earlier files of a tree.</summary>
    public CopyMethod StartAt { get; init; } = CopyMethod.Auto;

    /// <summary>Replace a destination whose write bits are all clear (Copy-Item's -Force).</summary>
    public bool Force { get; init; }

    public bool PreserveMode { get; init; } = true;

    public bool PreserveTimestamps { get; init; } = true;

    public bool PreserveOwnership { get; init; }

    public bool PreserveExtendedAttributes { get; init; }

    /// <summary>fsync the new file before it replaces the destination.</summary>
    public bool Sync { get; init; }

    /// <summary>Compare SHA-256 of source and new file before the new file replaces the destination.</summary>
    public bool Verify { get; init; }

    public CancellationToken Cancellation { get; init; }

    /// <summary>Bytes written so far; called on the copying thread after each chunk.</summary>
    public Action<long>? Progress { get; init; }

    /// <summary>The Preserve* switches as one set.</summary>
    public CopyPreserve Preserve =>
        (PreserveMode ? CopyPreserve.Mode : 0) | (PreserveTimestamps ? CopyPreserve.Timestamps : 0) |
        (PreserveOwnership ? CopyPreserve.Ownership : 0) | (PreserveExtendedAttributes ? CopyPreserve.ExtendedAttributes : 0);

    /// <summary>The same options for another pair of paths (the files of a tree share them).</summary>
    public FileCopyRequest For(string sourcePath, string destinationPath, bool destinationKnownAbsent, CopyMethod startAt, Action<long>? progress) =>
        this with
        {
            SourcePath = sourcePath,
            DestinationPath = destinationPath,
            SourceKnownRegular = true,
            DestinationKnownAbsent = destinationKnownAbsent,
            StartAt = startAt,
            Progress = progress,
        };
}

/// <summary>What a finished copy reports.</summary>
internal sealed record FileCopyResult(string SourcePath, string DestinationPath, CopyMethod Method, long Bytes, TimeSpan Duration)
{
    /// <summary>The source had holes and the copy kept them (only data extents were copied).</summary>
    public bool Sparse { get; init; }

    /// <summary>SHA-256 of the content when -Verify compared it, else null.</summary>
    public string? Sha256 { get; init; }
}
