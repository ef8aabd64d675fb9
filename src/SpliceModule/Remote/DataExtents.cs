using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Where a sparse file's data lies, so that a remote copy keeps its holes: the sender finds the
/// data extents by SEEK_DATA/SEEK_HOLE and announces them in the file header, the data stream
/// carries only their bytes one after another (holes cost nothing on the wire), and the receiver
/// writes each extent at its offset into its empty file and gives it the full size by ftruncate.
/// Kept as flat pairs (offset, length) so that the header stays small JSON; null means the whole
/// file is one extent (a file without holes, or one too fragmented to be worth listing).
/// </summary>
internal static class DataExtents
{
    /// <summary>More extents than this are sent as a dense file: the header must stay small, and
    /// such a file saves little by its holes.</summary>
    public const int MaxExtents = 16384;

    /// <summary>The data extents of a sparse source, or null when it has no holes to keep.</summary>
    public static long[]? Of(SafeHandle file, in FileStatus status, string path)
    {
        if (!status.IsSparse)
        {
            return null;
        }

        var pairs = new List<long>();
        long position = 0;
        while (position < status.Size)
        {
            long start = Sys.Seek(file, position, Flags.SEEK_DATA, path);
            if (start < 0 || start >= status.Size)
            {
                break;
            }

            long end = Sys.Seek(file, start, Flags.SEEK_HOLE, path);
            end = end < 0 || end > status.Size ? status.Size : end;
            if (pairs.Count / 2 == MaxExtents)
            {
                return null;
            }

            pairs.Add(start);
            pairs.Add(end - start);
            position = end;
        }

        return pairs.ToArray();
    }

    /// <summary>The pieces of the file the data stream carries, in order.</summary>
    public static IEnumerable<(long Offset, long Length)> Pieces(long[]? extents, long size)
    {
        if (extents is null)
        {
            if (size > 0)
            {
                yield return (0, size);
            }

            yield break;
        }

        for (int i = 0; i < extents.Length; i += 2)
        {
            yield return (extents[i], extents[i + 1]);
        }
    }

    /// <summary>The pieces of stripe <paramref name="stripe"/> of <paramref name="count"/>: the
    /// data stream cut into that many consecutive ranges of about equal size (cut at whole MiB, so
    /// no two stripes write into one page), each then sent on a connection of its own. Both hosts
    /// cut the same way from the header alone.</summary>
    public static List<(long Offset, long Length)> Stripe(long[]? extents, long size, int stripe, int count)
    {
        long total = DataBytes(extents, size);
        long Cut(int i) => i >= count ? total : total / count * i / StripeAlignment * StripeAlignment;
        long from = Cut(stripe), to = Cut(stripe + 1);
        var pieces = new List<(long Offset, long Length)>();
        long at = 0;
        foreach (var (offset, length) in Pieces(extents, size))
        {
            long start = Math.Max(from, at), end = Math.Min(to, at + length);
            if (start < end)
            {
                pieces.Add((offset + start - at, end - start));
            }

            at += length;
        }

        return pieces;
    }

    private const long StripeAlignment = 1024 * 1024;

    /// <summary>Bytes the data stream carries.</summary>
    public static long DataBytes(long[]? extents, long size)
    {
        long total = 0;
        foreach (var (_, length) in Pieces(extents, size))
        {
            total += length;
        }

        return total;
    }

    /// <summary>True when the extents, as another host announced them, are in order, apart and
    /// inside the file: a receiver writes nowhere else.</summary>
    public static bool AreValid(long[]? extents, long size)
    {
        if (extents is null)
        {
            return true;
        }

        if (extents.Length % 2 != 0 || extents.Length / 2 > MaxExtents)
        {
            return false;
        }

        long end = 0;
        for (int i = 0; i < extents.Length; i += 2)
        {
            long offset = extents[i], length = extents[i + 1];
            if (offset < end || length <= 0 || length > size - offset)
            {
                return false;
            }

            end = offset + length;
        }

        return true;
    }
}
