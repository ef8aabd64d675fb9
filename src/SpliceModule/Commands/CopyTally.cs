using System;
using System.Collections;
using System.Diagnostics;
using System.Globalization;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Counts what one Copy-SpliceItem call did, for its -Summary; on the cmdlet's thread only
/// (and on a far host, what it made of a tree it received).</summary>
internal sealed class CopyTally
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly SpliceCopySummary _summary = new();

    public void Count(bool isLeaf, FileCopyResult? file)
    {
        if (!isLeaf)
        {
            _summary.Directories++;
        }
        else if (file is { Unchanged: true })
        {
            _summary.Skipped++;
            _summary.BytesSkipped += file.Bytes;
        }
        else
        {
            _summary.Copied++;
            _summary.BytesCopied += file?.Bytes ?? 0;
        }
    }

    public void CountUnchanged(long items, long bytes)
    {
        _summary.Skipped += items;
        _summary.BytesSkipped += bytes;
    }

    /// <summary>What the far host counted of a tree it received (<see cref="ToAnswer"/>; its failures
    /// are counted here, as each is reported).</summary>
    public void Add(IDictionary counted)
    {
        long Of(string name) => counted[name] is { } value ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : 0;
        _summary.Copied += Of(nameof(SpliceCopySummary.Copied));
        _summary.BytesCopied += Of(nameof(SpliceCopySummary.BytesCopied));
        _summary.Directories += Of(nameof(SpliceCopySummary.Directories));
        _summary.Skipped += Of(nameof(SpliceCopySummary.Skipped));
        _summary.BytesSkipped += Of(nameof(SpliceCopySummary.BytesSkipped));
    }

    /// <summary>The counts, to send back over a session.</summary>
    public Hashtable ToAnswer() => new()
    {
        [nameof(SpliceCopySummary.Copied)] = _summary.Copied,
        [nameof(SpliceCopySummary.BytesCopied)] = _summary.BytesCopied,
        [nameof(SpliceCopySummary.Directories)] = _summary.Directories,
        [nameof(SpliceCopySummary.Skipped)] = _summary.Skipped,
        [nameof(SpliceCopySummary.BytesSkipped)] = _summary.BytesSkipped,
    };

    public void Failed() => _summary.Failed++;

    public void Removed(int items) => _summary.Removed += items;

    public SpliceCopySummary Finish()
    {
        _summary.Duration = Stopwatch.GetElapsedTime(_started);
        return _summary;
    }
}
