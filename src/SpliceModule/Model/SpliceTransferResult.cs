using System;

namespace SpliceModule;

/// <summary>Which kernel path moved a pipeline transfer's bytes.</summary>
public enum TransferMethod
{
    /// <summary>splice(2): pages moved between a descriptor and a pipe.</summary>
    Splice,

    /// <summary>tee(2): a pipe's pages duplicated into another pipe without consuming them.</summary>
    Tee,

    /// <summary>vmsplice(2): user memory mapped into a pipe.</summary>
    VmSplice,

    /// <summary>read(2)/write(2), where splice cannot work (an O_APPEND destination, a device without splice).</summary>
    ReadWrite,

    /// <summary>sendfile(2): a regular file's pages handed to a socket (Invoke-Splice from a file into a socket).</summary>
    SendFile,
}

/// <summary>What one Invoke-Splice, Invoke-Tee or Write-VmSplice transfer moved, how and how fast.</summary>
public sealed class SpliceTransferResult
{
    public SpliceTransferResult(string source, string destination, long bytes, TransferMethod method, TimeSpan duration)
    {
        Source = source;
        Destination = destination;
        Bytes = bytes;
        Method = method;
        Duration = duration;
    }

    public string Source { get; }

    public string Destination { get; }

    public long Bytes { get; }

    public TransferMethod Method { get; }

    public TimeSpan Duration { get; }

    public double BytesPerSecond => Duration.TotalSeconds > 0 ? Bytes / Duration.TotalSeconds : 0;

    public override string ToString() => $"{Source} -> {Destination}: {Bytes} bytes by {Method}";
}
