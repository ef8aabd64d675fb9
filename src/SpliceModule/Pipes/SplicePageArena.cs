using System;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Memory for vmsplice that no later write can reach. vmsplice(2) hands the pipe references to
/// the pages themselves, so bytes must never change until every reader is done with them, and a
/// reader may be a socket or another pipe that keeps the pages long after this pipe is drained.
/// The arena therefore never reuses a byte: it hands out fresh slices of an anonymous mapping and,
/// when the mapping is used up, unmaps it, which drops only this process's view; the kernel keeps
/// each page alive for as long as a pipe or socket still refers to it. A caller's array is copied
/// in once, so whatever the caller does to it afterwards cannot reach the output. A writer that
/// drains its own pipe into a destination that copies may <see cref="Rewind"/> and reuse the
/// region, which spares the kernel allocating, zeroing and freeing pages.
/// Because placed bytes are never written again, a block equal to the one placed last is mapped
/// from the same pages once more instead of being copied: repeated blocks (fill patterns,
/// generated test data) then cost a compare instead of a copy, fresh pages and page faults.
/// A caller that fills memory itself (read(2) straight into it, so the bytes are copied once)
/// takes a fresh slice with <see cref="Reserve"/> under the same rule.
/// Small writes are <see cref="TryStage">staged</see> end to end instead, and taken out as whole
/// pages: every vmsplice(2) takes one of the pipe's buffer slots for each page it touches, however
/// few bytes it maps, so sixteen short strings mapped one by one would fill a 64 KiB pipe.
/// Bytes after the staged ones were never mapped, so staging into the rest of a page whose start
/// a pipe already holds writes nothing a reader can see.
/// </summary>
internal sealed unsafe class SplicePageArena : IDisposable
{
    /// <summary>One transparent huge page: large enough that mapping costs vanish against the copy,
    /// small enough to stay in cache.</summary>
    internal const int RegionSize = 2 * 1024 * 1024;

    private static readonly int PageSize = Environment.SystemPageSize;

    private byte* _region;
    private int _used = RegionSize;
    private byte* _lastPlaced;
    private int _lastLength;
    private byte* _stagedStart;

    /// <summary>Bytes staged and not yet taken.</summary>
    public int StagedLength => _stagedStart == null ? 0 : (int)(_region + _used - _stagedStart);

    /// <summary>Copies as much of <paramref name="data"/> as fits in the current region (all of it,
    /// up to <see cref="RegionSize"/>) and returns where it now lives.</summary>
    public (IntPtr Memory, int Length) Place(ReadOnlySpan<byte> data)
    {
        if (_lastPlaced != null && data.Length >= _lastLength && data[.._lastLength].SequenceEqual(new ReadOnlySpan<byte>(_lastPlaced, _lastLength)))
        {
            return ((IntPtr)_lastPlaced, _lastLength);
        }

        if (_used == RegionSize)
        {
            MapRegion();
        }

        int length = Math.Min(data.Length, RegionSize - _used);
        byte* target = _region + _used;
        data[..length].CopyTo(new Span<byte>(target, length));
        _used += length;
        _lastPlaced = target;
        _lastLength = length;
        return ((IntPtr)target, length);
    }

    /// <summary>Hands out up to <paramref name="most"/> bytes that nothing was placed in since the
    /// region was mapped or rewound, starting on a page boundary (so that a slice of a pipe's
    /// capacity fits in that pipe's page slots), for the caller to fill once, before it maps them
    /// into a pipe. Those bytes then fall under the arena's rule: never written again while a
    /// pipe or socket may still refer to them.</summary>
    public (IntPtr Memory, int Length) Reserve(int most)
    {
        int start = (_used + PageSize - 1) & ~(PageSize - 1);
        if (start >= RegionSize)
        {
            MapRegion();
            start = 0;
        }

        int length = Math.Min(most, RegionSize - start);
        _used = start + length;
        _lastPlaced = null; // the caller writes these bytes: nothing to compare a later Place with
        _lastLength = 0;
        return ((IntPtr)(_region + start), length);
    }

    /// <summary>Copies <paramref name="data"/> right after the bytes staged before it. False when the
    /// region has no room for all of it while something is staged: take the staged bytes first.</summary>
    public bool TryStage(ReadOnlySpan<byte> data)
    {
        if (data.Length > RegionSize)
        {
            return false;
        }

        if (_region == null || _used + data.Length > RegionSize)
        {
            if (_stagedStart != null)
            {
                return false;
            }

            MapRegion();
        }

        if (_stagedStart == null)
        {
            _stagedStart = _region + _used;
        }

        data.CopyTo(new Span<byte>(_region + _used, data.Length));
        _used += data.Length;
        _lastPlaced = null; // staged bytes are mapped later, in other slices than a Place returns
        _lastLength = 0;
        return true;
    }

    /// <summary>The staged bytes, to be mapped into a pipe now: all of them, or with
    /// <paramref name="wholePagesOnly"/> only up to the last page boundary they reach, leaving the
    /// rest staged to be joined by later writes. Empty when there is nothing to take.</summary>
    public (IntPtr Memory, int Length) TakeStaged(bool wholePagesOnly)
    {
        if (_stagedStart == null)
        {
            return (IntPtr.Zero, 0);
        }

        byte* end = _region + (wholePagesOnly ? _used & ~(PageSize - 1) : _used);
        if (end <= _stagedStart)
        {
            return (IntPtr.Zero, 0);
        }

        byte* start = _stagedStart;
        _stagedStart = end == _region + _used ? null : end;
        return ((IntPtr)start, (int)(end - start));
    }

    /// <summary>Makes the whole current region available again. Only for a caller that knows no
    /// reference to its pages is left: its own pipe is empty and the destination copied the bytes
    /// (a file, block device or character device), so no pipe or socket still holds a page.</summary>
    public void Rewind()
    {
        if (_region != null && _stagedStart == null)
        {
            _used = 0;
        }
    }

    public void Dispose() => Release();

    private void MapRegion()
    {
        Release();
        _used = RegionSize; // used up, should mmap fail
        _region = (byte*)Sys.MapMemory(RegionSize);
        _used = 0;
    }

    private void Release()
    {
        if (_region != null)
        {
            Sys.UnmapMemory(_region, RegionSize);
            _region = null;
            _stagedStart = null;
            _lastPlaced = null;
            _lastLength = 0;
        }
    }
}
