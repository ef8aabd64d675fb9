using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;

namespace SpliceModule.Commands;

/// <summary>
/// Write-Progress for long copies: silent for the first half second (quick copies never flash a
/// bar), then at most five updates a second with bytes, percent, rate and time left; always
/// completed if it was ever shown. A copy to several hosts at once adds one child record per
/// host under the copy's own (<see cref="ReportHosts"/>). It must be called on the pipeline thread.
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
    private readonly List<string> _children = new();

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

    public void Report(string item, long itemBytes) => ReportHosts(item, itemBytes, Array.Empty<(string, long, long)>());

    /// <summary>The copy's record, and under it one record per host it goes to (each host's
    /// bytes of its <c>Total</c>, rate and time left), when there is more than one.</summary>
    public void ReportHosts(string item, long itemBytes, IReadOnlyList<(string Host, long Bytes, long Total)> hosts)
    {
        var now = _clock.Elapsed;
        if (now < Delay || now - _lastUpdate < Interval)
        {
            return;
        }

        _lastUpdate = now;
        long done = CompletedBytes + itemBytes;
        string items = TotalItems > 1 ? $", {CompletedItems} of {TotalItems} items" : string.Empty;
        var record = Record(_activityId, _activity, done, TotalBytes, now, items);
        record.CurrentOperation = item;
        _cmdlet.WriteProgress(record);
        _shown = true;
        if (hosts.Count < 2)
        {
            return;
        }

        for (int i = 0; i < hosts.Count; i++)
        {
            string activity = $"{_activity} to {hosts[i].Host}";
            var child = Record(ChildId(i), activity, hosts[i].Bytes, hosts[i].Total, now, string.Empty);
            child.ParentActivityId = _activityId;
            child.CurrentOperation = item;
            _cmdlet.WriteProgress(child);
            if (i == _children.Count)
            {
                _children.Add(activity);
            }
            else
            {
                _children[i] = activity;
            }
        }
    }

    private int ChildId(int host) => _activityId + 1 + host;

    private static ProgressRecord Record(int id, string activity, long done, long total, TimeSpan elapsed, string items)
    {
        double rate = done / Math.Max(elapsed.TotalSeconds, 0.001);
        var record = new ProgressRecord(id, activity, $"{DisplayUnits.Bytes(done)}{(total > 0 ? " of " + DisplayUnits.Bytes(total) : string.Empty)} at {DisplayUnits.Bytes((long)rate)}/s{items}");
        if (total > 0 && done <= total)
        {
            record.PercentComplete = (int)(done * 100 / total);
            record.SecondsRemaining = rate > 0 ? (int)Math.Ceiling((total - done) / rate) : -1;
        }

        return record;
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
            for (int i = 0; i < _children.Count; i++)
            {
                _cmdlet.WriteProgress(new ProgressRecord(ChildId(i), _children[i], "Done") { ParentActivityId = _activityId, RecordType = ProgressRecordType.Completed });
            }

            _children.Clear();
            _cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
            _shown = false;
        }
    }
}
