namespace SpliceModule;

/// <summary>How bytes get from source to destination. Auto picks the fastest that works, in this order.</summary>
public enum CopyMethod
{
    Auto,
    Reflink,
    CopyFileRange,
    Splice,
    SendFile,
    ReadWrite,

    /// <summary>The platform's own file copy, where the Linux calls are not available.</summary>
    PlatformCopy,
}
