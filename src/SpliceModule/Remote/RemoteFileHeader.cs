using System;
using System.Text.Json;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// What the receiving end learns about a file before its bytes, over the PSSession: its name,
/// size, mode, owner and times (for -Preserve), where a sparse file's data lies (its holes are
/// not sent) and, with -Verify, the SHA-256 the sender read.
/// </summary>
internal sealed record RemoteFileHeader(string SourcePath, string Name, long Size, uint Mode, uint Uid, uint Gid, long AccessSeconds, long AccessNanoseconds, long ModifySeconds, long ModifyNanoseconds)
{
    public string? Sha256 { get; init; }

    /// <summary>A sparse file's data extents (<see cref="DataExtents"/>); null: the whole file.</summary>
    public long[]? Extents { get; init; }

    /// <summary>Bytes the data stream carries: the whole size, or only the extents of a sparse file.</summary>
    public long DataBytes => DataExtents.DataBytes(Extents, Size);

    public static RemoteFileHeader For(string sourcePath, in FileStatus status) => new(
        sourcePath,
        System.IO.Path.GetFileName(sourcePath.TrimEnd('/')),
        status.Size,
        status.Mode,
        status.Uid,
        status.Gid,
        status.AccessSeconds,
        status.AccessNanoseconds,
        status.ModifySeconds,
        status.ModifyNanoseconds);

    /// <summary>The status a local source with these properties would have, for the metadata rules
    /// (no device or inode: the source is on another machine, so it is never the destination).</summary>
    public FileStatus ToStatus() =>
        new(Mode, Size, (Size + 511) / 512, 0, 0, 1, Uid, Gid, AccessSeconds, AccessNanoseconds, ModifySeconds, ModifyNanoseconds, ModifySeconds);

    public string ToJson() => JsonSerializer.Serialize(this);

    public static RemoteFileHeader FromJson(string json)
    {
        var header = JsonSerializer.Deserialize<RemoteFileHeader>(json) ?? throw new ArgumentException("An empty file header.");
        return header.Name.Length == 0 || header.Name is "." or ".." || header.Name.Contains('/') || header.Size < 0 || !DataExtents.AreValid(header.Extents, header.Size)
            ? throw new ArgumentException($"The file header names '{header.Name}' of {header.Size} bytes (or data extents outside it), which no copy sends.")
            : header;
    }
}
