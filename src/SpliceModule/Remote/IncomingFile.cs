using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// The receiving end of one file: the destination resolved once through the safe path
/// (<see cref="DestinationSlot"/>: an existing directory receives the file under its own name),
/// refused before anything is written when it must not be replaced (the source itself, when the
/// sending host is this machine: <see cref="RemoteFileHeader.SourceHere"/>), and the bytes written to an
/// unnamed <see cref="TemporaryFile"/> that takes the name only when every announced byte has
/// arrived, verified and given its metadata. Whatever way it ends otherwise (a short stream, a
/// record that does not authenticate, Ctrl+C, the link down), Dispose leaves the old destination.
/// A sparse file's data arrives extent after extent (<see cref="DataExtents"/>): each is written
/// at its offset and the file is given its full size at the end, so its holes stay holes. The
/// blocks of a large file's data are reserved before it arrives (<see cref="SpaceReservation"/>).
/// A FIFO or device at the destination is written in place, as a local copy writes it
/// (<see cref="IncomingNode"/>): in order, on one data connection, without a temporary file.
/// The metadata a replaced file keeps of its own is kept as a local copy keeps it
/// (<see cref="ReplacedFileMetadata"/>, <see cref="FileCopyRequest.KeepReplaced"/>).
/// </summary>
internal sealed class IncomingFile : IDisposable
{
    private readonly DestinationSlot _slot;
    private readonly TemporaryFile? _temporary;
    private readonly IncomingNode? _node;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly PieceCursor _whole;
    private CopyMethod _method = CopyMethod.ReadWrite;
    private long _received;

    public IncomingFile(string destination, RemoteFileHeader header, FileCopyRequest request)
    {
        Header = header;
        Request = request;
        _whole = new PieceCursor(DataExtents.Pieces(header.Extents, header.Size));
        _slot = DestinationSlot.ForItem(destination, header.Name);
        try
        {
            _slot.Refuse(header.SourceHere, header.SourcePath, request.Force);
            if (_slot.IsWrittenInPlace)
            {
                _node = IncomingNode.Open(_slot, DataPath.WaitFor(request.Cancellation));
            }
            else
            {
                _temporary = _slot.CreateFile(readable: request.Verify);
                SpaceReservation.Reserve(_temporary.Handle, _whole.Pieces, _whole.Left);
            }
        }
        catch
        {
            _slot.Dispose();
            throw;
        }
    }

    public RemoteFileHeader Header { get; }

    public FileCopyRequest Request { get; }

    public string Path => _slot.Path;

    /// <summary>A FIFO or device stands at the destination and is written in place: its bytes come
    /// in order, on one data connection (<see cref="WouldWriteInPlace"/>).</summary>
    public bool WritesInPlace => _node is not null;

    /// <summary>Whether a file named <paramref name="name"/> sent to <paramref name="destination"/>
    /// would be written in place, for a receiver that must say so before the header comes (the
    /// number of data connections). Only a hint: the file itself decides when it is opened.</summary>
    public static bool WouldWriteInPlace(string destination, string name)
    {
        try
        {
            using var slot = DestinationSlot.ForItem(destination, name);
            return slot.IsWrittenInPlace;
        }
        catch (Exception e) when (ItemFailure.IsExpected(e))
        {
            return false;
        }
    }

    private SafeHandle Target => _node?.Handle ?? (SafeHandle)_temporary!.Handle;

    /// <summary>Bytes written so far, by every stripe.</summary>
    public long Received => System.Threading.Interlocked.Read(ref _received);

    /// <summary>Plain: the bytes straight from the socket into the file, by splice through a kernel
    /// pipe, each extent at its offset.</summary>
    public void ReceiveFrom(SocketStream stream)
    {
        foreach (var (offset, length) in _whole.Pieces)
        {
            long before = Received;
            _node?.FillTo(offset);
            var transfer = new ByteTransfer(stream.Socket.SafeHandle, FileKind.Socket, stream.Display, Target, _node?.Kind ?? FileKind.File, Path)
            {
                Limit = length,
                DestinationOffset = _node is null ? offset : Sys.CurrentPosition,
                Wait = stream.Wait,
                Progress = Request.Progress is { } report ? bytes => report(before + bytes) : null,
            };
            _method = CopyEngine.Run(transfer, CopyMethod.Auto);
            _node?.Advance(transfer.Copied);
            System.Threading.Interlocked.Add(ref _received, transfer.Copied);
            if (transfer.Copied < length)
            {
                return;
            }
        }
    }

    /// <summary>Encrypted: each record opened, then written; the stream (all of it, or one
    /// stripe's, whose progress the caller reports: several run at once) must end where the
    /// header said.</summary>
    public void ReceiveFrom(SealedRecords records, System.Collections.Generic.IEnumerable<(long Offset, long Length)>? stripe = null)
    {
        if (stripe is not null && _node is not null)
        {
            throw new SpliceRefusedException(Refusal.DestinationChanged, $"'{Path}' is a FIFO or device, written in order on one data connection, but the file came on several: it was replaced by one after it was looked at.");
        }

        var cursor = stripe is null ? _whole : new PieceCursor(stripe);
        byte[] plain = new byte[SealedRecords.MaxRecord];
        int length;
        while ((length = records.Receive(plain)) > 0)
        {
            Write(plain.AsSpan(0, length), cursor, report: stripe is null);
        }
    }

    /// <summary>Bytes that came another way (Session: through the PSSession), in order.</summary>
    public void Write(ReadOnlySpan<byte> bytes) => Write(bytes, _whole, report: true);

    private void Write(ReadOnlySpan<byte> bytes, PieceCursor cursor, bool report)
    {
        Request.Cancellation.ThrowIfCancellationRequested();
        if (bytes.Length > cursor.Left)
        {
            throw new RemoteCopyException("DataConnectionLost", $"More bytes arrived for '{Path}' than the {Header.DataBytes} announced; the copy was abandoned.");
        }

        while (!bytes.IsEmpty)
        {
            var (offset, want) = cursor.Next(bytes.Length);
            int written = want;
            if (_node is { } node)
            {
                node.Write(bytes[..want], offset);
            }
            else
            {
                written = (int)Sys.Write(_temporary!.Handle, bytes[..want], offset, Path);
            }

            bytes = bytes[written..];
            cursor.Advance(written);
            System.Threading.Interlocked.Add(ref _received, written);
        }

        if (report)
        {
            Request.Progress?.Invoke(Received);
        }
    }

    /// <summary>Checks the bytes, applies the metadata and puts the file in place.</summary>
    public FileCopyResult Commit()
    {
        if (Received != Header.DataBytes)
        {
            throw new RemoteCopyException("DataConnectionLost", $"Only {Received} of the {Header.DataBytes} bytes of '{Header.SourcePath}' arrived; '{Path}' was left as it was.");
        }

        if (_node is { } node)
        {
            // As a local copy writes it: no temporary file, no metadata, nothing to read back.
            node.FillTo(Header.Size);
            return new FileCopyResult(Header.SourcePath, Path, _method, Received, Stopwatch.GetElapsedTime(_started));
        }

        var temporary = _temporary!;

        // The holes after the last extent (and a file of holes only) take no space either.
        Sys.Truncate(temporary.Handle, Header.Size, Path);
        string? hash = null;
        if (Request.Verify && Header.Sha256 is { } expected)
        {
            hash = ContentVerifier.Hash(temporary.Handle, Request.Cancellation);
            if (!string.Equals(hash, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new CopyVerificationException($"The copy of '{Header.SourcePath}' to '{Path}' does not match its source (SHA-256 {hash} instead of {expected}); the destination was left as it was.", expected, hash);
            }
        }

        var (metadata, notKept) = ReplacedFileMetadata.Apply(_slot, Request.KeepReplaced, temporary.Handle, this, static (file, keep) =>
            MetadataCopier.Apply(null, file.Header.ToStatus(), file._temporary!.Handle, file.Request.Preserve & ~keep, file.Header.SourcePath, file.Path));
        if (Request.Sync)
        {
            Sys.Flush(temporary.Handle, Path);
        }

        Request.Cancellation.ThrowIfCancellationRequested();
        temporary.Commit();
        return new FileCopyResult(Header.SourcePath, Path, _method, Received, Stopwatch.GetElapsedTime(_started))
        {
            Sha256 = hash,
            Metadata = metadata,
            ReplacedWarning = notKept,
        };
    }

    /// <summary>For bytes written by this process (Encrypted, Session) the method is read/write.</summary>
    public void Dispose()
    {
        _temporary?.Dispose();
        _node?.Dispose();
        _slot.Dispose();
    }

    /// <summary>Where the next bytes of one stream (the whole file's, or a stripe's) go.</summary>
    private sealed class PieceCursor
    {
        private int _piece;
        private long _intoPiece;

        public PieceCursor(System.Collections.Generic.IEnumerable<(long Offset, long Length)> pieces)
        {
            Pieces = System.Linq.Enumerable.ToArray(pieces);
            foreach (var (_, length) in Pieces)
            {
                Left += length;
            }
        }

        public (long Offset, long Length)[] Pieces { get; }

        /// <summary>Bytes this stream has still to carry.</summary>
        public long Left { get; private set; }

        /// <summary>The offset of the next byte, and how many of <paramref name="available"/> fit in its piece.</summary>
        public (long Offset, int Length) Next(int available)
        {
            var (offset, length) = Pieces[_piece];
            return (offset + _intoPiece, (int)Math.Min(available, length - _intoPiece));
        }

        public void Advance(int written)
        {
            Left -= written;
            _intoPiece += written;
            if (_intoPiece == Pieces[_piece].Length)
            {
                _piece++;
                _intoPiece = 0;
            }
        }
    }
}
