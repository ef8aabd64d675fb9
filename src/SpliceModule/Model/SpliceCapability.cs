namespace SpliceModule;

/// <summary>What this kernel and process offer, as Get-SpliceCapability reports it.</summary>
public sealed class SpliceCapability
{
    public string Platform { get; init; } = string.Empty;

    public string KernelRelease { get; init; } = string.Empty;

    public bool Splice { get; init; }

    public bool Tee { get; init; }

    public bool VmSplice { get; init; }

    public bool CopyFileRange { get; init; }

    public bool SendFile { get; init; }

    /// <summary>/proc/sys/fs/pipe-max-size: the largest pipe an unprivileged process may ask for.</summary>
    public int? PipeMaxSize { get; init; }

    public string? Path { get; init; }

    public string? FileSystem { get; init; }

    /// <summary>Whether FICLONE works in the directory of <see cref="Path"/>; null when it could not be tried there (read-only, no -Path).</summary>
    public bool? Reflink { get; init; }
}
