using System;
using System.Globalization;

namespace SpliceModule;

/// <summary>
/// Sizes, rates and durations as the views and progress show them (1.0 GiB, 812.4 MiB/s, 1.25 s):
/// one place, so that a copy's view, a transfer's view and the progress bar agree. Public because
/// the format file calls it.
/// </summary>
public static class DisplayUnits
{
    private static readonly string[] Units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

    /// <summary>Bytes in the largest binary unit below 1024 of it, one decimal; whole bytes below 1 KiB.</summary>
    public static string Bytes(long bytes)
    {
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }

    /// <summary>Bytes per second; empty when nothing was measured.</summary>
    public static string Rate(double bytesPerSecond) =>
        bytesPerSecond > 0 ? Bytes((long)bytesPerSecond) + "/s" : string.Empty;

    /// <summary>A duration short enough for a table column: 0.4 ms, 812.5 ms, 1.25 s, 2 min 05 s, 1 h 02 min.</summary>
    public static string Duration(TimeSpan duration)
    {
        var c = CultureInfo.InvariantCulture;
        if (duration.TotalSeconds < 1)
        {
            return duration.TotalMilliseconds.ToString("0.0", c) + " ms";
        }

        if (duration.TotalMinutes < 1)
        {
            return duration.TotalSeconds.ToString("0.00", c) + " s";
        }

        return duration.TotalHours < 1
            ? string.Format(c, "{0} min {1:00} s", (int)duration.TotalMinutes, duration.Seconds)
            : string.Format(c, "{0} h {1:00} min", (int)duration.TotalHours, duration.Minutes);
    }
}
