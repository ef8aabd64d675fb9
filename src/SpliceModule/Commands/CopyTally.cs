using System.Diagnostics;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Counts what one Copy-SpliceItem call did, for its -Summary; on the cmdlet's thread only.</summary>
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

    public void Failed() => _summary.Failed++;

    public void Removed(int items) => _summary.Removed += items;

    public SpliceCopySummary Finish()
    {
        _summary.Duration = Stopwatch.GetElapsedTime(_started);
        return _summary;
    }
}
