using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Fills the front pipe of a fan-out from a regular file or block device with bytes that nobody
/// can change any more. splice(2) from either hands the pipe references to its page-cache pages, and
/// tee(2) hands the same references on to every destination's pipe, so a process that rewrote the
/// file before the last destination had drained its pipe reached some copies and not the others.
/// Each round is therefore read(2) once, straight into anonymous memory of a
/// <see cref="SplicePageArena"/> (one copy, as coreutils tee makes into its buffer), and that
/// memory is vmspliced into the front pipe: every destination's pipe refers to the same private
/// pages. The memory is used again only after <see cref="RoundDone"/> when every destination
/// copies what it is given (a file or device, not a FIFO that passes the pages on to its reader);
/// otherwise every round takes memory never used before.
/// </summary>
internal sealed unsafe class PrivateFileFeed : IRoundFill, IDisposable
{
    private readonly SplicePageArena _arena = new();
    private readonly SafeHandle _source;
    private readonly string _sourcePath;
    private readonly KernelPipe _front;
    private readonly string _frontName;
    private readonly bool _reuse;

    /// <param name="destinationsCopy">Every destination copies the bytes spliced into it, so that
    /// once a round is done no pipe, socket or reader elsewhere refers to its memory.</param>
    public PrivateFileFeed(SafeHandle source, string sourcePath, KernelPipe front, bool destinationsCopy)
    {
        _source = source;
        _sourcePath = sourcePath;
        _front = front;
        _frontName = front.ToString();
        _reuse = destinationsCopy;
    }

    /// <summary>Reads up to <paramref name="most"/> bytes from the source's position and maps them
    /// into the front pipe, which must be empty and hold at least <paramref name="most"/> bytes.
    /// Returns the count, 0 at the end of the file.</summary>
    public long Fill(long most)
    {
        var (memory, length) = _arena.Reserve((int)Math.Min(most, SplicePageArena.RegionSize));
        long read = Sys.Read(_source, new Span<byte>((void*)memory, length), _sourcePath);
        for (long mapped = 0; mapped < read;)
        {
            // A page-aligned slice no larger than the empty pipe fits its page slots in one call.
            long moved = Sys.VmSplice(_front.WriteEnd.Handle, (byte*)memory + mapped, read - mapped, Flags.SPLICE_F_NONBLOCK, _frontName);
            if (moved == Sys.WouldBlock)
            {
                throw new SpliceException(Errno.EIO, "vmsplice", _sourcePath, _frontName, $"vmsplice(2) mapped {mapped} of {read} bytes into an empty pipe of {_front.Capacity} bytes.");
            }

            mapped += moved;
        }

        return read;
    }

    /// <summary>Called when the round is done: the front pipe and every destination's pipe are empty.</summary>
    public void RoundDone()
    {
        if (_reuse)
        {
            _arena.Rewind();
        }
    }

    public void Dispose() => _arena.Dispose();
}
