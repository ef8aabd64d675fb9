using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>What a frame of a tree stream announces.</summary>
internal enum TreeFrameKind : byte
{
    /// <summary>A directory begins; what follows is inside it until <see cref="Leave"/>.</summary>
    Enter = 1,

    /// <summary>The current directory is complete: it gets its metadata now.</summary>
    Leave = 2,

    /// <summary>A regular file, its content after the header in segments.</summary>
    File = 3,

    /// <summary>A symbolic link, copied as a link.</summary>
    Link = 4,

    /// <summary>A FIFO, socket or device node.</summary>
    Node = 5,

    /// <summary>Another name of a file already sent in its hard-link group (-Preserve Links).</summary>
    HardLink = 6,

    /// <summary>An item the sending side could not read: the error, with the item's path.</summary>
    Failure = 7,

    /// <summary>The whole tree was sent.</summary>
    Done = 8,
}

/// <summary>
/// One entry's header in a tree stream: a name in the current directory (bytes, as the kernel
/// has it), what it is, its size, mode, owner and times, a link's target, its hard-link group
/// (0: none) and, with -Verify, the SHA-256 of a file's content. A file's content follows its
/// header as segments (offset, length, bytes), so that holes are not sent; a segment of length
/// -1 ends it and gives the file's final length (a source that shrank while it was read ends
/// early); a segment of length -2 ends it as failed (the sender could not read it), and the
/// failure frame follows. Little-endian, lengths before bytes; nothing in it is trusted by the reader beyond the
/// checks in <see cref="Read"/>.
/// </summary>
internal sealed record TreeFrame(TreeFrameKind Kind)
{
    /// <summary>Ends a file's segments.</summary>
    public const long EndOfContent = -1;

    /// <summary>Ends a file's segments as failed: what was sent of it is to be thrown away, and a
    /// <see cref="TreeFrameKind.Failure"/> frame follows.</summary>
    public const long ContentFailed = -2;

    private const int MaxName = 255;
    private const int MaxText = 4096;

    public byte[] Name { get; init; } = Array.Empty<byte>();

    public FileStatus Status { get; init; }

    public uint Group { get; init; }

    public byte[]? Sha256 { get; init; }

    /// <summary>A link's target; a failure's message.</summary>
    public byte[] Text { get; init; } = Array.Empty<byte>();

    /// <summary>A device node's number; a failure's errno or refusal.</summary>
    public ulong Number { get; init; }

    /// <summary>A failure's kind: 0 a system call (errno), 1 a refusal, 2 anything else.</summary>
    public byte FailureKind { get; init; }

    public string NameText => Encoding.UTF8.GetString(Name);

    public static TreeFrame ForFailure(string relativePath, Exception e) => new(TreeFrameKind.Failure)
    {
        Name = Clip(Encoding.UTF8.GetBytes(relativePath), MaxText),
        Text = Clip(Encoding.UTF8.GetBytes(e.Message), MaxText),
        FailureKind = e switch { SpliceException => 0, SpliceRefusedException => 1, _ => 2 },
        Number = e switch { SpliceException s => (ulong)s.Errno, SpliceRefusedException r => (ulong)r.Reason, _ => 0 },
    };

    /// <summary>The sending side's failure as the exception it was, so that it gets the same error
    /// id on the receiving side as a local copy's would.</summary>
    public IOException ToException()
    {
        string message = Encoding.UTF8.GetString(Text);
        return FailureKind switch
        {
            0 => new SpliceException((int)Number, "read", NameText, detail: $"(On the sending host: {message})"),
            1 when Enum.IsDefined(typeof(Refusal), (int)Number) => new SpliceRefusedException((Refusal)(int)Number, message),
            _ => new IOException(message),
        };
    }

    public void Write(TreeWireOut wire)
    {
        // Kind, name, status, group, hash, number, text: the most any frame holds.
        var head = wire.Reserve(3 + Name.Length + 44 + 4 + 33 + 9 + 2 + Text.Length);
        int at = 0;
        head[at++] = (byte)Kind;
        BinaryPrimitives.WriteUInt16LittleEndian(head[at..], (ushort)Name.Length);
        at += 2;
        Name.CopyTo(head[at..]);
        at += Name.Length;
        if (Kind is TreeFrameKind.Enter or TreeFrameKind.File or TreeFrameKind.Link or TreeFrameKind.Node)
        {
            var s = Status;
            BinaryPrimitives.WriteUInt32LittleEndian(head[at..], s.Mode);
            BinaryPrimitives.WriteUInt32LittleEndian(head[(at + 4)..], s.Uid);
            BinaryPrimitives.WriteUInt32LittleEndian(head[(at + 8)..], s.Gid);
            BinaryPrimitives.WriteInt64LittleEndian(head[(at + 12)..], s.AccessSeconds);
            BinaryPrimitives.WriteUInt32LittleEndian(head[(at + 20)..], (uint)s.AccessNanoseconds);
            BinaryPrimitives.WriteInt64LittleEndian(head[(at + 24)..], s.ModifySeconds);
            BinaryPrimitives.WriteUInt32LittleEndian(head[(at + 32)..], (uint)s.ModifyNanoseconds);
            BinaryPrimitives.WriteInt64LittleEndian(head[(at + 36)..], s.Size);
            at += 44;
        }

        if (Kind is TreeFrameKind.File or TreeFrameKind.HardLink)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(head[at..], Group);
            at += 4;
        }

        if (Kind == TreeFrameKind.File)
        {
            head[at++] = Sha256 is null ? (byte)0 : (byte)1;
            if (Sha256 is not null)
            {
                Sha256.CopyTo(head[at..]);
                at += 32;
            }
        }

        if (Kind is TreeFrameKind.Node or TreeFrameKind.Failure)
        {
            head[at++] = FailureKind;
            BinaryPrimitives.WriteUInt64LittleEndian(head[at..], Number);
            at += 8;
        }

        if (Kind is TreeFrameKind.Link or TreeFrameKind.Failure)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(head[at..], (ushort)Text.Length);
            at += 2;
            Text.CopyTo(head[at..]);
            at += Text.Length;
        }

        wire.Advance(at);
    }

    public static void WriteSegment(TreeWireOut wire, long offset, long length)
    {
        var head = wire.Reserve(16);
        BinaryPrimitives.WriteInt64LittleEndian(head, offset);
        BinaryPrimitives.WriteInt64LittleEndian(head[8..], length);
        wire.Advance(16);
    }

    public static (long Offset, long Length) ReadSegment(TreeWireIn wire)
    {
        Span<byte> head = stackalloc byte[16];
        wire.ReadExactly(head);
        long offset = BinaryPrimitives.ReadInt64LittleEndian(head), length = BinaryPrimitives.ReadInt64LittleEndian(head[8..]);
        return offset < 0 || length < ContentFailed || (length > 0 && offset > long.MaxValue - length) ? throw Malformed("a segment out of range") : (offset, length);
    }

    /// <summary>The next frame; names are checked to be one name (no '/', not '.' or '..', no NUL).</summary>
    public static TreeFrame Read(TreeWireIn wire)
    {
        Span<byte> small = stackalloc byte[44];
        wire.ReadExactly(small[..3]);
        var kind = (TreeFrameKind)small[0];
        if (kind is < TreeFrameKind.Enter or > TreeFrameKind.Done)
        {
            throw Malformed($"an unknown frame ({small[0]})");
        }

        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(small[1..]);
        byte[] name = new byte[Math.Min(nameLength, MaxText)];
        if (nameLength > MaxText)
        {
            throw Malformed("a name too long");
        }

        wire.ReadExactly(name);
        if (kind is not (TreeFrameKind.Failure or TreeFrameKind.Leave or TreeFrameKind.Done) && !IsOneName(name))
        {
            throw Malformed($"the name '{Encoding.UTF8.GetString(name)}', which is not one name in a directory");
        }

        var frame = new TreeFrame(kind) { Name = name };
        if (kind is TreeFrameKind.Enter or TreeFrameKind.File or TreeFrameKind.Link or TreeFrameKind.Node)
        {
            wire.ReadExactly(small);
            var status = new FileStatus(
                BinaryPrimitives.ReadUInt32LittleEndian(small),
                BinaryPrimitives.ReadInt64LittleEndian(small[36..]),
                0,
                0,
                0,
                1,
                BinaryPrimitives.ReadUInt32LittleEndian(small[4..]),
                BinaryPrimitives.ReadUInt32LittleEndian(small[8..]),
                BinaryPrimitives.ReadInt64LittleEndian(small[12..]),
                BinaryPrimitives.ReadUInt32LittleEndian(small[20..]),
                BinaryPrimitives.ReadInt64LittleEndian(small[24..]),
                BinaryPrimitives.ReadUInt32LittleEndian(small[32..]),
                BinaryPrimitives.ReadInt64LittleEndian(small[24..]));
            var expected = kind switch
            {
                TreeFrameKind.Enter => FileKind.Directory,
                TreeFrameKind.File => FileKind.File,
                TreeFrameKind.Link => FileKind.SymbolicLink,
                _ when status.Kind is FileKind.Fifo or FileKind.Socket or FileKind.CharacterDevice or FileKind.BlockDevice => status.Kind,
                _ => FileKind.Unknown,
            };
            if (status.Kind != expected || status.Kind is FileKind.Unknown || status.Size < 0)
            {
                throw Malformed($"'{frame.NameText}' announced as a {kind} of mode {status.Mode:x}");
            }

            // Blocks as the sender's file has them do not matter here: the receiver makes its own holes.
            frame = frame with { Status = status with { Blocks = (status.Size + 511) / 512 } };
        }

        if (kind is TreeFrameKind.File or TreeFrameKind.HardLink)
        {
            wire.ReadExactly(small[..4]);
            frame = frame with { Group = BinaryPrimitives.ReadUInt32LittleEndian(small) };
        }

        if (kind == TreeFrameKind.File)
        {
            wire.ReadExactly(small[..1]);
            if (small[0] == 1)
            {
                byte[] hash = new byte[32];
                wire.ReadExactly(hash);
                frame = frame with { Sha256 = hash };
            }
        }

        if (kind is TreeFrameKind.Node or TreeFrameKind.Failure)
        {
            wire.ReadExactly(small[..9]);
            frame = frame with { FailureKind = small[0], Number = BinaryPrimitives.ReadUInt64LittleEndian(small[1..]) };
        }

        if (kind is TreeFrameKind.Link or TreeFrameKind.Failure)
        {
            wire.ReadExactly(small[..2]);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(small);
            if (length > MaxText)
            {
                throw Malformed("a link target too long");
            }

            byte[] text = new byte[length];
            wire.ReadExactly(text);
            frame = frame with { Text = text };
        }

        return frame;
    }

    private static bool IsOneName(ReadOnlySpan<byte> name) =>
        name.Length is > 0 and <= MaxName && name.IndexOf((byte)'/') < 0 && name.IndexOf((byte)0) < 0
        && !(name.Length == 1 && name[0] == '.') && !(name.Length == 2 && name[0] == '.' && name[1] == '.');

    private static byte[] Clip(byte[] bytes, int max) => bytes.Length <= max ? bytes : bytes[..max];

    public static RemoteCopyException Malformed(string what) =>
        new("DataConnectionLost", $"The tree stream held {what}; the copy was abandoned there.");
}
