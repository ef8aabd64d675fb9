using System.IO;

namespace SpliceModule;

/// <summary>Why the engine declined a copy before touching the destination.</summary>
public enum CopyRefusal
{
    SameFile,
    SourceIsDirectory,
    SourceIsSocket,
    DestinationIsDirectory,
    DestinationReadOnly,
    MethodNotSupported,
    DirectoryOntoFile,
    DestinationInsideSource,
    DestinationIsSymlink,
    SymlinkLoop,

    /// <summary>The source was replaced (for a link, a FIFO, another file) between the walk and the copy.</summary>
    SourceChanged,

    /// <summary>A destination directory or node this copy made, or a FIFO it was to write, was swapped for another.</summary>
    DestinationChanged,

    DestinationIsSocket,
}

/// <summary>A copy the engine will not do; nothing was written when this is thrown.</summary>
public sealed class CopyRefusedException : IOException
{
    public CopyRefusedException(CopyRefusal reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public CopyRefusal Reason { get; }
}
