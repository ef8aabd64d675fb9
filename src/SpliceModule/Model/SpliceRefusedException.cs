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

    /// <summary>A device node that another host sent (a tree from -FromSession or -ToSession), made
    /// only with -Preserve Ownership: that host chooses its number and mode.</summary>
    RemoteDeviceNode,

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

    /// <summary>The key of <see cref="System.Exception.Data"/> that Copy-Item sets, to the destination, when an item would
    /// be copied onto itself (PowerShell's own tests and scripts look for it).</summary>
    public const string SelfCopyKey = "SelfCopy";

    /// <summary>A copy onto itself (<see cref="Refusal.SameFile"/>) or into itself
    /// (<see cref="Refusal.DestinationInsideSource"/>), marked as Copy-Item marks it.</summary>
    public static SpliceRefusedException SelfCopy(Refusal reason, string message, string destination)
    {
        var refused = new SpliceRefusedException(reason, message);
        refused.Data[SelfCopyKey] = destination;
        return refused;
    }

    /// <summary>True for a refusal made by <see cref="SelfCopy"/>.</summary>
    public bool IsSelfCopy => Data.Contains(SelfCopyKey);
}
