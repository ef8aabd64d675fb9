using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Removes what a killed copy (kill -9, a power cut) left in a destination directory. New files
/// are unnamed while written, so only two short windows leave a name behind: a file linked under
/// its hidden name just before the rename, and a named temporary file on a file system without
/// O_TMPFILE. The next copy into that directory removes such a name when it is ours
/// (<see cref="TemporaryFile"/>'s pattern, owned by this user), its inode has not changed for a
/// day (ctime, which nobody can set back: a file still being written keeps it fresh), and, for a
/// file, no copy holds its lock. Each directory is looked at once an hour per process at most,
/// when the first new file is made in it (so -WhatIf, which makes none, removes nothing).
/// </summary>
internal static class StaleTemporaryFiles
{
    private const long StaleAfterSeconds = 24 * 60 * 60;
    private static readonly TimeSpan LookAgainAfter = TimeSpan.FromHours(1);
    private static readonly ConcurrentDictionary<(ulong Device, ulong Inode), long> LastSwept = new();

    public static void SweepOnce(DirectoryHandle directory)
    {
        var key = (directory.Status.Device, directory.Status.Inode);
        long now = Stopwatch.GetTimestamp();
        if (LastSwept.TryGetValue(key, out long last) && Stopwatch.GetElapsedTime(last, now) < LookAgainAfter)
        {
            return;
        }

        LastSwept[key] = now;
        try
        {
            Sweep(directory, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - StaleAfterSeconds);
        }
        catch (SpliceException)
        {
            // Tidying up is a courtesy: it never fails a copy.
        }
    }

    /// <param name="cutoff">Names whose inode changed after this (Unix seconds) are left alone.</param>
    internal static void Sweep(DirectoryHandle directory, long cutoff)
    {
        foreach (var (name, _) in Sys.ReadDirectory(directory.Handle, directory.Path))
        {
            if (!IsTemporaryName(name.Bytes))
            {
                continue;
            }

            string path = directory.PathOf(name);
            if (Sys.TryStatAt(directory.Handle, name, followSymlinks: false, path) is not { } status
                || status.Uid != Sys.EffectiveUid || status.ChangeSeconds > cutoff || status.Kind == FileKind.Directory)
            {
                continue;
            }

            if (status.Kind == FileKind.File)
            {
                using var file = Sys.OpenAt(directory.Handle, name, Flags.O_RDONLY | Flags.O_NOFOLLOW | Flags.O_NONBLOCK | Flags.O_NOCTTY, 0, path);
                if (!Sys.Stat(file, path).IsSameFile(status) || !Sys.TryLock(file, exclusive: true, path))
                {
                    continue;
                }
            }

            Sys.UnlinkAt(directory.Handle, name, isDirectory: false, path);
        }
    }

    /// <summary>'.' + name + '.' + 12 hex digits + '.splicetmp'.</summary>
    internal static bool IsTemporaryName(ReadOnlySpan<byte> name)
    {
        ReadOnlySpan<byte> suffix = ".splicetmp"u8;
        const int Hex = 12;
        if (name.Length < 1 + 1 + 1 + Hex + suffix.Length || name[0] != '.' || !name.EndsWith(suffix))
        {
            return false;
        }

        var digits = name[..^suffix.Length][^Hex..];
        if (name[name.Length - suffix.Length - Hex - 1] != '.')
        {
            return false;
        }

        foreach (byte b in digits)
        {
            if (!(b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f'))
            {
                return false;
            }
        }

        return true;
    }
}
