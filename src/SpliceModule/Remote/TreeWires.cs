using System;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>The tree stream's carriers, one per transport: raw on the data connection (Plain),
/// in sealed records (Encrypted), or in chunks through the PSSession (Session).</summary>
internal static class TreeWires
{
    /// <summary>Plain content at least this long goes by sendfile and splice, past the buffer; below
    /// it a copy through the buffer costs less than the extra calls.</summary>
    public const long DirectFrom = 64 * 1024;

    private const int PlainBuffer = 256 * 1024;

    /// <summary>Record direction of the tree stream (sender to receiver), as for one file.</summary>
    private const uint ToReceiver = 1;

    public static TreeWireOut Sending(SocketStream stream, RemoteCopyOptions options) =>
        options.Transport == RemoteTransport.Plain
            ? new PlainOut(stream)
            : new SealedOut(new SealedRecords(stream, ChannelSecret.Parse(options.Key, "key"), ToReceiver));

    public static TreeWireIn Receiving(SocketStream stream, RemoteCopyOptions options) =>
        options.Transport == RemoteTransport.Plain
            ? new PlainIn(stream)
            : new SealedIn(new SealedRecords(stream, ChannelSecret.Parse(options.Key, "key"), ToReceiver));

    /// <summary>Session: each full buffer handed to <paramref name="emit"/> as a new array.</summary>
    public static TreeWireOut InChunks(Action<byte[]> emit) => new ChunksOut(emit);

    /// <summary>Session: the chunks as <paramref name="next"/> gives them; null ends the stream.</summary>
    public static TreeWireIn FromChunks(Func<byte[]?> next) => new ChunksIn(next);

    private sealed class PlainOut : TreeWireOut
    {
        private readonly SocketStream _stream;

        public PlainOut(SocketStream stream)
            : base(PlainBuffer) => _stream = stream;

        public override (long Sent, CopyMethod Method) SendContent(SafeFileHandle file, string path, long offset, long length, CancellationToken cancellation)
        {
            if (length < DirectFrom)
            {
                return base.SendContent(file, path, offset, length, cancellation);
            }

            Flush();
            var transfer = new ByteTransfer(file, FileKind.File, path, _stream.Socket.SafeHandle, FileKind.Socket, _stream.Display)
            {
                SourceSize = offset + length,
                SourceOffset = offset,
                Limit = length,
                Wait = _stream.Wait,
            };
            try
            {
                var method = CopyEngine.Run(transfer, CopyMethod.SendFile);
                return (transfer.Copied, method);
            }
            catch (Exception e) when (ItemFailure.IsExpected(e) && e is not (TimeoutException or RemoteCopyException))
            {
                // sendfile's error may be the file's (EIO) or the socket's: what went is exact
                // either way, and a broken socket fails the padding that follows.
                throw new ContentFailure(transfer.Copied, e);
            }
        }

        protected override void Emit(ReadOnlySpan<byte> bytes) => _stream.WriteAll(bytes);
    }

    private sealed class PlainIn : TreeWireIn
    {
        private readonly SocketStream _stream;
        private readonly byte[] _buffer = new byte[PlainBuffer];

        public PlainIn(SocketStream stream) => _stream = stream;

        public override CopyMethod ReceiveContent(SafeFileHandle file, string path, long offset, long length, CancellationToken cancellation)
        {
            long done = 0;
            while (done < length && PendingLength > 0)
            {
                done += WritePending(file, path, offset + done, length - done, done);
            }

            long rest = length - done;
            if (rest < DirectFrom)
            {
                return rest == 0 ? CopyMethod.ReadWrite : TakeRest(file, path, offset, length, done, cancellation);
            }

            SpliceFromStream(file, path, offset, length, done);
            return CopyMethod.Splice;
        }

        /// <summary>The rest of a short content through the buffer, its failure counted from the content's start.</summary>
        private CopyMethod TakeRest(SafeFileHandle file, string path, long offset, long length, long done, CancellationToken cancellation)
        {
            try
            {
                return base.ReceiveContent(file, path, offset + done, length - done, cancellation);
            }
            catch (ContentFailure e)
            {
                throw new ContentFailure(done + e.Streamed, e.Cause);
            }
        }

        /// <summary>The engine's splice from the socket into the file, through its pipe. When the
        /// file refuses bytes (no space left), those in the pipe are off the socket already, and
        /// only the count of bytes taken says how far the stream went.</summary>
        private void SpliceFromStream(SafeFileHandle file, string path, long offset, long length, long done)
        {
            Sys.Seek(file, offset + done, Flags.SEEK_SET, path);
            var transfer = new ByteTransfer(_stream.Socket.SafeHandle, FileKind.Socket, _stream.Display, file, FileKind.File, path)
            {
                Limit = length - done,
                Wait = _stream.Wait,
            };
            try
            {
                CopyEngine.Run(transfer, CopyMethod.Splice);
            }
            catch (Exception e) when (transfer.Taken > transfer.Copied && ItemFailure.IsExpected(e))
            {
                throw new ContentFailure(done + transfer.Taken, e);
            }

            if (transfer.Copied < transfer.Limit)
            {
                throw _stream.Ended(done + transfer.Copied, length);
            }
        }

        protected override ReadOnlyMemory<byte> Fill() => _buffer.AsMemory(0, _stream.ReadSome(_buffer));
    }

    private sealed class SealedOut : TreeWireOut
    {
        private readonly SealedRecords _records;

        public SealedOut(SealedRecords records)
            : base(SealedRecords.MaxRecord) => _records = records;

        public override void End()
        {
            Flush();
            _records.Send(ReadOnlySpan<byte>.Empty);
        }

        protected override void Emit(ReadOnlySpan<byte> bytes) => _records.Send(bytes);

        public override void Dispose() => _records.Dispose();
    }

    private sealed class SealedIn : TreeWireIn
    {
        private readonly SealedRecords _records;
        private readonly byte[] _buffer = new byte[SealedRecords.MaxRecord];

        public SealedIn(SealedRecords records) => _records = records;

        protected override ReadOnlyMemory<byte> Fill() => _buffer.AsMemory(0, _records.Receive(_buffer));

        public override void Dispose() => _records.Dispose();
    }

    private sealed class ChunksOut : TreeWireOut
    {
        private readonly Action<byte[]> _emit;

        public ChunksOut(Action<byte[]> emit)
            : base(OutgoingFile.SessionChunk) => _emit = emit;

        protected override void Emit(ReadOnlySpan<byte> bytes) => _emit(bytes.ToArray());
    }

    private sealed class ChunksIn : TreeWireIn
    {
        private readonly Func<byte[]?> _next;

        public ChunksIn(Func<byte[]?> next) => _next = next;

        protected override ReadOnlyMemory<byte> Fill() => _next() ?? ReadOnlyMemory<byte>.Empty;
    }
}
