using System.IO;

namespace SpliceModule;

/// <summary>Why the module declined to do something before it touched anything; the name is the
/// error id that scripts see.</summary>
public enum Refusal
{
    // What a copy will not write over or read from.
    SameFile,
    SourceIsDirectory,
    SourceIsSocket,
    DestinationIsDirectory,
    DestinationReadOnly,
    DirectoryOntoFile,
    DestinationInsideSource,
    DestinationIsSymlink,
    DestinationIsSocket,
    SymlinkLoop,

    /// <summary>The source was replaced (for a link, a FIFO, another file) between the walk and the copy.</summary>
    SourceChanged,

    /// <summary>A destination directory or node this copy made, or a FIFO it was to write, was swapped for another.</summary>
    DestinationChanged,

    /// <summary>A forced -Method that cannot copy these files here.</summary>
    MethodNotSupported,

    // Misuse of descriptors, pipes, paths and URIs.
    NotADescriptor,
    DescriptorClosed,
    SourceNotReadable,
    DestinationNotWritable,
    SamePipe,
    OffsetNotSupported,
    LengthOutOfRange,
    UnsupportedInput,
    UnsupportedUri,
    PathIsDirectory,
    PathIsSocket,
    NoReader,
    SocketPathTooLong,
    InvalidPath,
}

/// <summary>
/// The one exception for something the module will not do: a copy it declines (the destination is
/// the source, a directory, a symbolic link...) or a misuse of descriptors and pipes. Nothing was
/// written or transferred when it is thrown. <see cref="Reason"/> is the error id.
/// </summary>
public sealed class SpliceRefusedException : IOException
{
    public SpliceRefusedException(Refusal reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public Refusal Reason { get; }
}
