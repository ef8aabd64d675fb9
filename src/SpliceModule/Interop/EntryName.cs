using System;
using System.Text;

namespace SpliceModule.Interop;

/// <summary>
/// One name inside a directory as the kernel spells it: bytes, NUL-terminated, in any encoding.
/// Names read from a directory keep their bytes, so a name that is not valid UTF-8 is copied as
/// it is; <see cref="ToString"/> is for messages only.
/// </summary>
internal readonly struct EntryName
{
    private readonly byte[] _terminated;

    private EntryName(byte[] terminated) => _terminated = terminated;

    /// <summary>The name's bytes without the terminating NUL.</summary>
    public ReadOnlySpan<byte> Bytes => _terminated.AsSpan(0, _terminated.Length - 1);

    public int ByteLength => _terminated.Length - 1;

    internal byte[] Terminated => _terminated;

    /// <summary>A name or path from a string; a NUL in it would end the C string early and name
    /// another file, so it is refused here, below every caller.</summary>
    public static EntryName From(string name)
    {
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw new SpliceException(Errno.EINVAL, "path", name.Replace('\0', '?'), detail: "A file name cannot contain a NUL character.");
        }

        var bytes = new byte[Encoding.UTF8.GetByteCount(name) + 1];
        Encoding.UTF8.GetBytes(name, bytes);
        return new EntryName(bytes);
    }

    public static EntryName From(ReadOnlySpan<byte> name)
    {
        var bytes = new byte[name.Length + 1];
        name.CopyTo(bytes);
        return new EntryName(bytes);
    }

    /// <summary>The name for messages and paths shown to users (bytes that are not UTF-8 become U+FFFD).</summary>
    public override string ToString() => Encoding.UTF8.GetString(Bytes);

    /// <summary>The path of this name in <paramref name="directory"/> (a slash between them unless it
    /// ends with one), decoded as <see cref="ToString"/> decodes it. One string is made, not the
    /// name's and then the joined one: a tree copy makes two of these for every file.</summary>
    public string In(string directory)
    {
        int slash = directory.EndsWith('/') ? 0 : 1;
        int length = directory.Length + slash + Encoding.UTF8.GetCharCount(Bytes);
        return string.Create(length, (directory, name: this, slash), static (chars, parts) =>
        {
            parts.directory.CopyTo(chars);
            if (parts.slash == 1)
            {
                chars[parts.directory.Length] = '/';
            }

            Encoding.UTF8.GetChars(parts.name.Bytes, chars[(parts.directory.Length + parts.slash)..]);
        });
    }
}
