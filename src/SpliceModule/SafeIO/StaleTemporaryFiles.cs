using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
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
/// file, no copy holds its lock. The same listing notes the directories of that pattern that are
/// ours and private, for the hidden tops of killed tree copies (StaleHiddenRoots, which decides on
/// each when it is asked). Each directory is listed once an hour per process at most (anyone who
/// can write in /tmp can fill it with names), when the first new file or tree top is made in it
/// (so -WhatIf, which makes none, removes nothing).
/// </summary>
internal static class StaleTemporaryFiles
{
    private const long StaleAfterSeconds = 24 * 60 * 60;
    private static readonly TimeSpan LookAgainAfter = TimeSpan.FromHours(1);
    private static readonly ConcurrentDictionary<(ulong Device, ulong Inode), Look> LastLooks = new();

    /// <summary>One listing of a directory: when it began, and (once done) the private directories of
    /// ours with a temporary name it saw. Callers at the same moment wait for the one listing.</summary>
    private sealed class Look(long at, DirectoryHandle directory)
    {
        public long At { get; } = at;

        public Lazy<IReadOnlyList<EntryName>> PrivateDirectories { get; } = new(() => SweepQuietly(directory));
    }

    public static void SweepOnce(DirectoryHandle directory) => _ = LookOnce(directory);

    /// <summary>The directories with a temporary name that were ours and 0700 when the directory was
    /// last listed (listing it now when that was over an hour ago). They may have changed since:
    /// whoever acts on one checks it again.</summary>
    public static IReadOnlyList<EntryName> PrivateDirectoriesIn(DirectoryHandle directory) => LookOnce(directory);

    private static IReadOnlyList<EntryName> LookOnce(DirectoryHandle directory)
    {
        var key = (directory.Status.Device, directory.Status.Inode);
        long now = Stopwatch.GetTimestamp();
        var look = LastLooks.AddOrUpdate(
            key,
            _ => new Look(now, directory),
            (_, last) => Stopwatch.GetElapsedTime(last.At, now) < LookAgainAfter ? last : new Look(now, directory));
        return look.PrivateDirectories.Value;
    }

    private static IReadOnlyList<EntryName> SweepQuietly(DirectoryHandle directory)
    {
        try
        {
            return Sweep(directory, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - StaleAfterSeconds);
        }
        catch (SpliceException)
        {
            // Tidying up is a courtesy: it never fails a copy.
            return [];
        }
    }

    /// <param name="cutoff">Names whose inode changed after this (Unix seconds) are left alone.</param>
    /// <returns>The directories with a temporary name that are ours and 0700.</returns>
    internal static IReadOnlyList<EntryName> Sweep(DirectoryHandle directory, long cutoff)
    {
        var privateDirectories = new List<EntryName>();
        foreach (var (name, _) in Sys.ReadDirectory(directory.Handle, directory.Path))
        {
            if (!IsTemporaryName(name.Bytes))
            {
                continue;
            }

            string path = directory.PathOf(name);
            if (Sys.TryStatAt(directory.Handle, name, followSymlinks: false, path) is not { } status || status.Uid != Sys.EffectiveUid)
            {
                continue;
            }

            if (status.Kind == FileKind.Directory)
            {
                if (status.Permissions == DirectoryHandle.PrivateMode)
                {
                    privateDirectories.Add(name);
                }

                continue;
            }

            if (status.ChangeSeconds > cutoff)
            {
                continue;
            }

            try
            {
                RemoveIfUnlocked(directory, name, status, path);
            }
            catch (SpliceException)
            {
                // Left as it is (gone meanwhile, say); the others are still looked at.
            }
        }

        return privateDirectories;
    }

    private static void RemoveIfUnlocked(DirectoryHandle directory, EntryName name, in FileStatus status, string path)
    {
        if (status.Kind == FileKind.File)
        {
            using var file = Sys.OpenAt(directory.Handle, name, Flags.O_RDONLY | Flags.O_NOFOLLOW | Flags.O_NONBLOCK | Flags.O_NOCTTY, 0, path);
            if (!Sys.Stat(file, path).IsSameFile(status) || !Sys.TryLock(file, exclusive: true, path))
            {
                return;
            }
        }

        Sys.UnlinkAt(directory.Handle, name, isDirectory: false, path);
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
