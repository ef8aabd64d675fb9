using System;
using System.Diagnostics;
using System.Management.Automation;

namespace SpliceModule.Commands;

/// <summary>
/// Write-Progress for long copies: silent for the first half second (quick copies never flash a
/// bar), then at most five updates a second with bytes, percent, rate and time left; always
/// completed if it was ever shown. It must be called on the pipeline thread.
/// </summary>
internal sealed class ProgressReporter
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly Cmdlet _cmdlet;
    private readonly int _activityId;
    private readonly string _activity;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastUpdate = TimeSpan.Zero;
    private bool _shown;

    public ProgressReporter(Cmdlet cmdlet, int activityId, string activity)
    {
        _cmdlet = cmdlet;
        _activityId = activityId;
        _activity = activity;
    }

    /// <summary>Bytes done before the current item, so that rate and ETA span all items.</summary>
    public long CompletedBytes { get; set; }

    /// <summary>All bytes expected, when known (0 when not: FIFOs, /proc files).</summary>
    public long TotalBytes { get; set; }

    /// <summary>Items done and expected, shown when a copy has more than one (a tree).</summary>
    public int CompletedItems { get; set; }

    public int TotalItems { get; set; }

    public void Report(string item, long itemBytes)
    {
        var now = _clock.Elapsed;
        if (now < Delay || now - _lastUpdate < Interval)
        {
            return;
        }

        _lastUpdate = now;
        long done = CompletedBytes + itemBytes;
        double rate = done / Math.Max(now.TotalSeconds, 0.001);
        string items = TotalItems > 1 ? $", {CompletedItems} of {TotalItems} items" : string.Empty;
        var record = new ProgressRecord(_activityId, _activity, $"{DisplayUnits.Bytes(done)}{(TotalBytes > 0 ? " of " + DisplayUnits.Bytes(TotalBytes) : string.Empty)} at {DisplayUnits.Bytes((long)rate)}/s{items}")
        {
            CurrentOperation = item,
        };
        if (TotalBytes > 0 && done <= TotalBytes)
        {
            record.PercentComplete = (int)(done * 100 / TotalBytes);
            record.SecondsRemaining = rate > 0 ? (int)Math.Ceiling((TotalBytes - done) / rate) : -1;
        }

        _cmdlet.WriteProgress(record);
        _shown = true;
    }

    /// <summary>A callback for the transfer engines: bytes done so far and bytes expected (0 when unknown).</summary>
    public Action<long, long> Tracking(string item) => (done, expected) =>
    {
        TotalBytes = expected;
        Report(item, done);
    };

    public void Complete()
    {
        if (_shown)
        {
            _cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
            _shown = false;
        }
    }
}
