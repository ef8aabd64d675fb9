using System;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SpliceModule.Transfer;

/// <summary>
/// The Encrypted transport's framing: each record is a 4-byte big-endian length, the AES-256-GCM
/// ciphertext and its 16-byte tag, with the length as associated data. The nonce is a
/// direction-specific prefix and a counter that only goes up, and every copy and direction has its
/// own fresh key, so no key and nonce pair ever seals two different plaintexts (a fan-out seals
/// each record once and sends the same bytes to every host: see Remote/README.md). An empty record ends the
/// stream, so a stream cut short is told from a finished one; a record that does not authenticate
/// (tampered, reordered, replayed, or under another key) fails the copy before its bytes are written.
/// </summary>
internal sealed class SealedRecords : IDisposable
{
    /// <summary>Plaintext bytes a record carries at most.</summary>
    public const int MaxRecord = 256 * 1024;

    private const int HeaderSize = 4;
    private const int TagSize = 16;
    private const int NonceSize = 12;

    private readonly AesGcm _aes;
    private readonly uint _direction;
    private readonly SocketStream? _stream;
    private readonly byte[] _wire = new byte[HeaderSize + MaxRecord + TagSize];
    private ulong _counter;

    /// <param name="direction">Which way the records go (1: to the receiver); part of every nonce.</param>
    /// <summary>Bytes a sealed record takes on the wire at most.</summary>
    public const int MaxWire = HeaderSize + MaxRecord + TagSize;

    /// <param name="stream">Where records are sent (<see cref="Send"/>) and received; null for a sealer (<see cref="Seal"/>), whose records the caller sends.</param>
    public SealedRecords(SocketStream? stream, byte[] key, uint direction)
    {
        _stream = stream;
        _aes = new AesGcm(key, TagSize);
        _direction = direction;
    }

    /// <summary>Seals and sends <paramref name="plain"/> (at most <see cref="MaxRecord"/> bytes;
    /// empty ends the stream) on this connection's own stream, on the calling thread.</summary>
    public void Send(ReadOnlySpan<byte> plain) => _stream!.WriteAll(_wire.AsSpan(0, Seal(plain, _wire)));

    /// <summary>Seals <paramref name="plain"/> (at most <see cref="MaxRecord"/> bytes; empty ends the stream) as the next record into <paramref name="wire"/>
    /// (<see cref="MaxWire"/> bytes or more); returns the record's length there.</summary>
    public int Seal(ReadOnlySpan<byte> plain, Span<byte> wire)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        NextNonce(nonce);
        var header = wire[..HeaderSize];
        BinaryPrimitives.WriteInt32BigEndian(header, plain.Length);
        _aes.Encrypt(nonce, plain, wire.Slice(HeaderSize, plain.Length), wire.Slice(HeaderSize + plain.Length, TagSize), header);
        return HeaderSize + plain.Length + TagSize;
    }

    /// <summary>Receives and opens the next record into <paramref name="plain"/>; returns its length, 0 at the end of the stream.</summary>
    public int Receive(Span<byte> plain)
    {
        var header = _wire.AsSpan(0, HeaderSize);
        _stream!.ReadExactly(header);
        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < 0 || length > MaxRecord || length > plain.Length)
        {
            throw Tampered();
        }

        _stream!.ReadExactly(_wire.AsSpan(HeaderSize, length + TagSize));
        Span<byte> nonce = stackalloc byte[NonceSize];
        NextNonce(nonce);
        try
        {
            _aes.Decrypt(nonce, _wire.AsSpan(HeaderSize, length), _wire.AsSpan(HeaderSize + length, TagSize), plain[..length], header);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw Tampered();
        }

        return length;
    }

    private void NextNonce(Span<byte> nonce)
    {
        BinaryPrimitives.WriteUInt32BigEndian(nonce, _direction);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], checked(_counter++));
    }

    private RemoteCopyException Tampered() =>
        new("RecordAuthenticationFailed", $"A record on the data connection {_stream?.Display} did not authenticate: it was changed on the way, or did not come from the other end of this copy. Nothing of it was written.");

    public void Dispose() => _aes.Dispose();
}
