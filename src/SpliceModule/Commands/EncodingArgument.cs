using System;
using System.Text;

namespace SpliceModule.Commands;

/// <summary>The -Encoding names the pipeline cmdlets accept, spelled as Set-Content spells them.</summary>
internal static class EncodingArgument
{
    internal const string Default = "utf8NoBOM";

    /// <summary>Only utf8BOM writes a byte order mark: a pipe carries a stream, not a file with a header.</summary>
    public static Encoding Resolve(string name) => name.ToLowerInvariant() switch
    {
        "utf8" or "utf8nobom" => new UTF8Encoding(false),
        "utf8bom" => new UTF8Encoding(true),
        "ascii" => Encoding.ASCII,
        "unicode" => new UnicodeEncoding(bigEndian: false, byteOrderMark: false),
        "bigendianunicode" => new UnicodeEncoding(bigEndian: true, byteOrderMark: false),
        "utf32" => new UTF32Encoding(bigEndian: false, byteOrderMark: false),
        "latin1" => Encoding.Latin1,
        _ => throw new ArgumentException($"Unknown encoding '{name}'."),
    };
}
