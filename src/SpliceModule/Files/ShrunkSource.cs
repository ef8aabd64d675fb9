using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// A regular file that got shorter while it was copied (its owner truncated it): the bytes read
/// before the cut are no longer the file, so the copy is cut to the length the source has now,
/// and the caller is told. A file whose size is only a guess (a /sys attribute) keeps that size
/// and has less content: it is not shrunk, and nothing is said.
/// </summary>
internal static class ShrunkSource
{
    /// <summary>Gives <paramref name="destination"/>, which holds <paramref name="length"/> bytes
    /// of a source that was <paramref name="size"/> bytes when opened, the length the source has
    /// now if that is less; returns the warning when the source shrank, else null.</summary>
    public static string? Cut(SafeHandle source, string sourcePath, long size, long length, SafeHandle destination, string destinationPath)
    {
        long sizeNow = Sys.Stat(source, sourcePath).Size;
        length = Math.Min(length, sizeNow);
        Sys.Truncate(destination, length, destinationPath);
        return sizeNow < size
            ? $"'{sourcePath}' shrank from {size} to {length} bytes while it was copied; the copy holds what was read."
            : null;
    }
}
