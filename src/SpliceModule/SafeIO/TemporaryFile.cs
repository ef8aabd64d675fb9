using System;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// New content that takes a destination's name only when complete. Where the file system allows,
/// the file has no name at all while it is written (O_TMPFILE in the destination's held directory):
/// nobody can open, swap or race it, and a killed copy leaves nothing behind. <see cref="Commit"/>
/// links it at the destination's name, or, where something stands there, under a hidden name that
/// is then renamed over it. Elsewhere it is a hidden name made O_EXCL|O_NOFOLLOW (mode 0600) and
/// share-locked while it is written, so that <see cref="StaleTemporaryFiles"/> can tell a live one.
/// In a directory that nobody can see at its final path yet (<see cref="DirectoryHandle.Unseen"/>:
/// inside a tree copy's hidden top directory) a new name is made at once (O_CREAT|O_EXCL|O_NOFOLLOW
/// on the held directory): it cannot be seen half-written either, and the commit is nothing.
/// Disposing before a commit leaves the old destination as it was (a name made at once is removed).
/// </summary>
internal sealed class TemporaryFile : IDisposable
{
    internal const string Suffix = ".splicetmp";
    private const int PrivateMode = MetadataCopier.PrivateFileMode;
    private const int MaxNameBytes = 255;

    /// <summary>File systems (by device) that refused O_TMPFILE: they get named files from then on.</summary>
    private static readonly ConcurrentDictionary<ulong, bool> NoAnonymousFiles = new();

    private readonly DestinationSlot _slot;
    private EntryName? _name;
    private bool _committed;

    /// <summary>Made at the destination's own name, in an unseen directory.</summary>
    private readonly bool _atName;

    private TemporaryFile(DestinationSlot slot, SafeFileHandle handle, EntryName? name, bool atName = false)
    {
        _slot = slot;
        Handle = handle;
        _name = name;
        _atName = atName;
    }

    public SafeFileHandle Handle { get; }

    /// <summary>The file has no name at all (O_TMPFILE): dropping it leaves nothing, and a held
    /// handle of it can be linked at a name later.</summary>
    public bool IsUnnamed => _name is null && !_atName;

    /// <param name="readable">Open it for reading too (to verify what was written).</param>
    /// <param name="mode">Its mode from the start (<see cref="MetadataCopier.CreationMode"/>); private by default.</param>
    public static TemporaryFile In(DestinationSlot slot, bool readable, int mode = PrivateMode)
    {
        int access = readable ? Flags.O_RDWR : Flags.O_WRONLY;
        var directory = slot.Directory;
        if (!directory.CreatedByThisCopy)
        {
            StaleTemporaryFiles.SweepOnce(directory);
        }

        if (directory.Unseen && slot.Existing is null)
        {
            try
            {
                return new TemporaryFile(slot, Sys.OpenAt(directory.Handle, slot.Name, access | Flags.O_CREAT | Flags.O_EXCL | Flags.O_NOFOLLOW, mode, slot.Path), null, atName: true);
            }
            catch (SpliceException e) when (e.Errno == Errno.EEXIST)
            {
                // Made meanwhile by this copy (names of several directories into one): the usual way.
            }
        }

        if (!NoAnonymousFiles.ContainsKey(directory.Status.Device))
        {
            try
            {
                return new TemporaryFile(slot, Sys.OpenAt(directory.Handle, Dot, access | Flags.O_TMPFILE, mode, slot.Path), null);
            }
            catch (SpliceException e) when (e.Errno is Errno.EOPNOTSUPP or Errno.EISDIR or Errno.EINVAL)
            {
                NoAnonymousFiles.TryAdd(directory.Status.Device, true);
            }
        }

        while (true)
        {
            var name = HiddenNameFor(slot.Name);
            SafeFileHandle handle;
            try
            {
                handle = Sys.OpenAt(directory.Handle, name, access | Flags.O_CREAT | Flags.O_EXCL | Flags.O_NOFOLLOW, mode, slot.Path);
            }
            catch (SpliceException e) when (e.Errno == Errno.EEXIST)
            {
                continue;
            }

            Sys.TryLock(handle, exclusive: false, slot.Path);
            return new TemporaryFile(slot, handle, name);
        }
    }

    /// <summary>Gives the file the destination's name. With <paramref name="checkLanding"/> (-Verify),
    /// returns whether the name now holds this very file (false when another process replaced it at
    /// once); otherwise true without looking (two statx calls a file saved).</summary>
    public bool Commit(bool checkLanding = false)
    {
        var directory = _slot.Directory;
        var written = checkLanding ? Sys.Stat(Handle, _slot.Path) : default;
        if (_name is null && !_atName)
        {
            bool linked = _slot.Existing is null && Sys.LinkAnonymousFileAt(Handle, directory.Handle, _slot.Name, _slot.Path);
            if (!linked)
            {
                _name = LinkUnderHiddenName();
            }
        }

        if (_name is { } hidden)
        {
            Sys.RenameAt(directory.Handle, hidden, _slot.Name, _slot.Path, _slot.Path);
        }

        _committed = true;
        Handle.Dispose();
        return !checkLanding || Sys.TryStatAt(directory.Handle, _slot.Name, followSymlinks: false, _slot.Path) is { } landed && landed.IsSameFile(written);
    }

    public void Dispose()
    {
        Handle.Dispose();
        if (!_committed && (_atName ? _slot.Name : _name) is { } made)
        {
            RemoveQuietly(_slot.Directory, made, _slot.Path);
        }
    }

    /// <summary>A hidden name beside the destination: '.' + the name (cut by bytes, at a character's
    /// boundary, so that the whole fits in 255) + 48 random bits + <see cref="Suffix"/>. The bits
    /// only have to be hard to guess and unique (O_EXCL and linkat refuse a clash); a cryptographic
    /// generator cost a library call per file of a tree.</summary>
    internal static EntryName HiddenNameFor(EntryName destination)
    {
        string tail = $".{Random.Shared.NextInt64(1L << 48):x12}{Suffix}";
        var bytes = destination.Bytes;
        int keep = Math.Min(bytes.Length, MaxNameBytes - 1 - tail.Length);
        // Never in the middle of a UTF-8 character, so that listings show the hidden name whole.
        while (keep > 0 && keep < bytes.Length && (bytes[keep] & 0b1100_0000) == 0b1000_0000)
        {
            keep--;
        }

        var name = new byte[1 + keep + tail.Length];
        name[0] = (byte)'.';
        bytes[..keep].CopyTo(name.AsSpan(1));
        Encoding.ASCII.GetBytes(tail, name.AsSpan(1 + keep));
        return EntryName.From(name);
    }

    /// <summary>Whether <paramref name="candidate"/> is a name <see cref="HiddenNameFor"/> makes for
    /// <paramref name="destination"/> (the name kept whole, or cut as it cuts it).</summary>
    internal static bool IsHiddenNameOf(ReadOnlySpan<byte> candidate, EntryName destination)
    {
        const int TailBytes = 1 + 12 + 10; // '.' + 12 hex digits + ".splicetmp"
        if (!StaleTemporaryFiles.IsTemporaryName(candidate) || candidate.Length < 1 + TailBytes)
        {
            return false;
        }

        var kept = candidate[1..^TailBytes];
        var bytes = destination.Bytes;
        return kept.SequenceEqual(bytes) || (candidate.Length > MaxNameBytes - 4 && kept.Length > 0 && bytes.StartsWith(kept));
    }

    /// <summary>Removes a temporary name on the way out of a failure, which must stay the error reported.</summary>
    internal static void RemoveQuietly(DirectoryHandle directory, EntryName name, string display)
    {
        try
        {
            Sys.UnlinkAt(directory.Handle, name, isDirectory: false, display);
        }
        catch (SpliceException)
        {
            // The original failure matters more; a leftover is named so that StaleTemporaryFiles finds it.
        }
    }

    private EntryName LinkUnderHiddenName()
    {
        while (true)
        {
            var name = HiddenNameFor(_slot.Name);
            if (Sys.LinkAnonymousFileAt(Handle, _slot.Directory.Handle, name, _slot.Path))
            {
                return name;
            }
        }
    }

    private static readonly EntryName Dot = EntryName.From(".");
}
