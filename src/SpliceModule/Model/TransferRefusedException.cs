using System;

namespace SpliceModule;

/// <summary>Why a pipeline transfer was refused before any byte moved; the name is the error id.</summary>
public enum TransferRefusal
{
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
    SameFile,
    InvalidPath,
}

/// <summary>A misuse of descriptors or pipes that the engine refuses; nothing was transferred.</summary>
public sealed class TransferRefusedException : ArgumentException
{
    public TransferRefusedException(TransferRefusal reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public TransferRefusal Reason { get; }
}
