using System;
using System.Text;

namespace SpliceModule.Commands;

/// <summary>The -Encoding names the pipeline cmdlets accept, spelled as Set-Content spells them.</summary>
internal static class EncodingArgument
{
    internal const string Default = "utf8NoBOM";

    public static Encoding Resolve(string name) => name.ToLowerInvariant() switch
    {
        "utf8" or "utf8nobom" => new UTF8Encoding(false),
        "utf8bom" => new UTF8Encoding(true),
        "ascii" => Encoding.ASCII,
        "unicode" => Encoding.Unicode,
        "bigendianunicode" => Encoding.BigEndianUnicode,
        "utf32" => Encoding.UTF32,
        "latin1" => Encoding.Latin1,
        _ => throw new ArgumentException($"Unknown encoding '{name}'."),
    };
}
