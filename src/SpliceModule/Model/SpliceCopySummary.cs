using System;

namespace SpliceModule;

/// <summary>What one Copy-SpliceItem call did over all its items (-Summary): what was copied, what
/// was left alone as unchanged (-Update, -Checksum, -NoClobber), what -Mirror removed, what failed,
/// and how long it took.</summary>
public sealed class SpliceCopySummary
{
    /// <summary>Files, links and special files written (directories are not counted).</summary>
    public long Copied { get; internal set; }

    /// <summary>Bytes of content written by the copies.</summary>
    public long BytesCopied { get; internal set; }

    /// <summary>Files, links and special files left as they were because the destination already matched (or -NoClobber kept it).</summary>
    public long Skipped { get; internal set; }

    /// <summary>Bytes of the files left alone: what a copy without -Update would have written again.</summary>
    public long BytesSkipped { get; internal set; }

    /// <summary>Directories made (or used, when they were there) in the destination.</summary>
    public long Directories { get; internal set; }

    /// <summary>Items of the destination that -Mirror removed (a removed directory counts as one, with everything in it).</summary>
    public long Removed { get; internal set; }

    /// <summary>Items that failed (each also written as an error).</summary>
    public long Failed { get; internal set; }

    /// <summary>From the start of the call to its end.</summary>
    public TimeSpan Duration { get; internal set; }

    public override string ToString() =>
        $"{Copied} copied ({BytesCopied} bytes), {Skipped} unchanged, {Removed} removed, {Failed} failed in {Duration.TotalSeconds:0.###} s";
}
