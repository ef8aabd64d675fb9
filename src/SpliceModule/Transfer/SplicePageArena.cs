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
/// in once, so whatever the caller does to it afterwards cannot reach the output.
/// </summary>
internal sealed unsafe class SplicePageArena : IDisposable
{
    /// <summary>Large enough that mapping costs vanish against the copy, small enough to stay in cache.</summary>
    internal const int RegionSize = 2 * 1024 * 1024;

    private byte* _region;
    private int _used = RegionSize;

    /// <summary>Copies as much of <paramref name="data"/> as fits in the current region (all of it,
    /// up to <see cref="RegionSize"/>) and returns where it now lives.</summary>
    public (IntPtr Memory, int Length) Place(ReadOnlySpan<byte> data)
    {
        if (_used == RegionSize)
        {
            Release();
            _region = (byte*)Sys.MapMemory(RegionSize);
            _used = 0;
        }

        int length = Math.Min(data.Length, RegionSize - _used);
        byte* target = _region + _used;
        data[..length].CopyTo(new Span<byte>(target, length));
        _used += length;
        return ((IntPtr)target, length);
    }

    public void Dispose() => Release();

    private void Release()
    {
        if (_region != null)
        {
            Sys.UnmapMemory(_region, RegionSize);
            _region = null;
        }
    }
}
