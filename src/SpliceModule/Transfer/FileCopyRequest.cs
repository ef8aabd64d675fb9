using System;
using System.Threading;

namespace SpliceModule.Transfer;

/// <summary>One file to copy, with paths already resolved to the final destination file name.</summary>
internal sealed record FileCopyRequest(string SourcePath, string DestinationPath)
{
    public CopyMethod Method { get; init; } = CopyMethod.Auto;

    /// <summary>Replace a destination whose write bits are all clear (Copy-Item's -Force).</summary>
    public bool Force { get; init; }

    public bool PreserveMode { get; init; } = true;

    public bool PreserveTimestamps { get; init; } = true;

    public bool PreserveOwnership { get; init; }

    /// <summary>fsync the new file before it replaces the destination.</summary>
    public bool Sync { get; init; }

    public CancellationToken Cancellation { get; init; }

    /// <summary>Bytes written so far; called on the copying thread after each chunk.</summary>
    public Action<long>? Progress { get; init; }
}

/// <summary>What a finished copy reports.</summary>
internal sealed record FileCopyResult(string SourcePath, string DestinationPath, CopyMethod Method, long Bytes, TimeSpan Duration);
