using System;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// The sending end of a tree stream: frames and small files gathered in one buffer and sent a
/// buffer at a time (one write, record or session chunk for many files), content read by pread
/// straight into that buffer. Each transport says how a full buffer leaves (<see cref="Emit"/>);
/// Plain also sends large content by sendfile, past the buffer.
/// </summary>
internal abstract class TreeWireOut : IDisposable
{
    private readonly byte[] _buffer;
    private int _filled;

    protected TreeWireOut(int size) => _buffer = new byte[size];

    /// <summary>At least <paramref name="length"/> bytes to write a frame into (less than the buffer).</summary>
    public Span<byte> Reserve(int length)
    {
        if (_buffer.Length - _filled < length)
        {
            Flush();
        }

        return _buffer.AsSpan(_filled);
    }

    public void Advance(int length) => _filled += length;

    /// <summary>Sends <paramref name="length"/> bytes of <paramref name="file"/> from
    /// <paramref name="offset"/>; returns how many it had (fewer when it shrank meanwhile) and how
    /// they went. A read of the file that fails is a <see cref="ContentFailure"/> naming how many
    /// bytes went before it; a failure of the stream itself is not.</summary>
    public virtual (long Sent, CopyMethod Method) SendContent(SafeFileHandle file, string path, long offset, long length, CancellationToken cancellation)
    {
        long done = 0;
        while (done < length)
        {
            cancellation.ThrowIfCancellationRequested();
            if (_filled == _buffer.Length)
            {
                Flush();
            }

            int want = (int)Math.Min(_buffer.Length - _filled, length - done);
            int read;
            try
            {
                read = (int)Sys.Read(file, _buffer.AsSpan(_filled, want), offset + done, path);
            }
            catch (Exception e) when (ItemFailure.IsExpected(e))
            {
                throw new ContentFailure(done, e);
            }

            if (read == 0)
            {
                break;
            }

            _filled += read;
            done += read;
        }

        return (done, CopyMethod.ReadWrite);
    }

    /// <summary>Zeros in place of content a file no longer had, so that the stream stays framed.</summary>
    public void Pad(long length)
    {
        while (length > 0)
        {
            var room = Reserve(1);
            int now = (int)Math.Min(room.Length, length);
            room[..now].Clear();
            Advance(now);
            length -= now;
        }
    }

    public void Flush()
    {
        if (_filled > 0)
        {
            Emit(_buffer.AsSpan(0, _filled));
            _filled = 0;
        }
    }

    /// <summary>Sends what is left and ends the stream.</summary>
    public virtual void End() => Flush();

    protected abstract void Emit(ReadOnlySpan<byte> bytes);

    public virtual void Dispose()
    {
    }
}

/// <summary>
/// The receiving end of a tree stream: what has arrived is taken in pieces as the transport gives
/// them (<see cref="Fill"/>), frames read from it, and content written by pwrite where the
/// receiver says; Plain splices large content from the socket into the file, past the buffer.
/// </summary>
internal abstract class TreeWireIn : IDisposable
{
    private ReadOnlyMemory<byte> _pending;

    public void ReadExactly(Span<byte> into)
    {
        while (!into.IsEmpty)
        {
            var piece = Next();
            int now = Math.Min(piece.Length, into.Length);
            piece.Span[..now].CopyTo(into);
            _pending = piece[now..];
            into = into[now..];
        }
    }

    /// <summary>Writes the next <paramref name="length"/> bytes of the stream into
    /// <paramref name="file"/> at <paramref name="offset"/>; returns how. A write of the file that
    /// fails (no space left, say) is a <see cref="ContentFailure"/> naming how many of those bytes
    /// were taken from the stream, so that the rest can be read past.</summary>
    public virtual CopyMethod ReceiveContent(SafeFileHandle file, string path, long offset, long length, CancellationToken cancellation)
    {
        long done = 0;
        while (done < length)
        {
            cancellation.ThrowIfCancellationRequested();
            done += WritePending(file, path, offset + done, length - done, done);
        }

        return CopyMethod.ReadWrite;
    }

    /// <summary>The next <paramref name="length"/> bytes of the stream into a FIFO or device written
    /// in place (<paramref name="node"/>), in order, through the buffer whatever the transport; a
    /// write that fails is a <see cref="ContentFailure"/> as in the other overload.</summary>
    public void ReceiveContent(IncomingNode node, long offset, long length, CancellationToken cancellation)
    {
        long done = 0;
        while (done < length)
        {
            cancellation.ThrowIfCancellationRequested();
            var bytes = Take(length - done);
            try
            {
                node.Write(bytes.Span, offset + done);
            }
            catch (Exception e) when (ItemFailure.IsExpected(e))
            {
                throw new ContentFailure(done + bytes.Length, e);
            }

            done += bytes.Length;
        }
    }

    /// <summary>Reads past <paramref name="length"/> bytes of content nobody will keep.</summary>
    public void Skip(long length)
    {
        while (length > 0)
        {
            length -= Take(length).Length;
        }
    }

    /// <summary>What has arrived (waiting for something when nothing has), at most <paramref name="length"/> bytes, taken.</summary>
    private ReadOnlyMemory<byte> Take(long length)
    {
        var piece = Next();
        int now = (int)Math.Min(piece.Length, length);
        _pending = piece[now..];
        return piece[..now];
    }

    /// <summary>Writes what has arrived (waiting for something when nothing has), at most
    /// <paramref name="length"/> bytes; returns how many. <paramref name="taken"/> bytes of the
    /// same content were taken before, for the <see cref="ContentFailure"/> of a write that fails.</summary>
    protected int WritePending(SafeFileHandle file, string path, long offset, long length, long taken)
    {
        var bytes = Take(length).Span;
        int now = bytes.Length;
        int written = 0;
        try
        {
            while (written < now)
            {
                written += (int)Sys.Write(file, bytes[written..], offset + written, path);
            }
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            throw new ContentFailure(taken + now, e);
        }

        return now;
    }

    /// <summary>Bytes that arrived and were not taken yet (never waits).</summary>
    protected int PendingLength => _pending.Length;

    /// <summary>The next piece of the stream; empty at its end.</summary>
    protected abstract ReadOnlyMemory<byte> Fill();

    private ReadOnlyMemory<byte> Next()
    {
        if (_pending.IsEmpty)
        {
            _pending = Fill();
            if (_pending.IsEmpty)
            {
                throw new RemoteCopyException("DataConnectionLost", "The tree stream ended before the whole tree had arrived: the other end stopped or the link went down. What had not arrived complete was left out.");
            }
        }

        return _pending;
    }

    public virtual void Dispose()
    {
    }
}

/// <summary>
/// One file's content failed on this end of a tree stream (its source could not be read, or its
/// copy could not be written) while the stream itself is whole: <see cref="Streamed"/> of the
/// content's bytes went on (or were taken off) the stream before it, so the stream can be kept
/// framed and the file alone fails. Not an <see cref="System.IO.IOException"/>: nothing may mistake it for
/// an item's failure without settling the stream first.
/// </summary>
internal sealed class ContentFailure : Exception
{
    public ContentFailure(long streamed, Exception cause)
        : base(cause.Message, cause) => Streamed = streamed;

    public long Streamed { get; }

    public Exception Cause => InnerException!;
}
