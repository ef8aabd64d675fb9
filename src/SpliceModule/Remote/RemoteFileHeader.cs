using System;
using System.Text.Json;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// What the receiving end learns about a file before its bytes, over the PSSession: its name,
/// size, mode, owner and times (for -Preserve), where a sparse file's data lies (its holes are
/// not sent), with -Verify the SHA-256 the sender read, and which file it is (<see cref="FileIdentity"/>),
/// so that a receiver on the sender's own machine refuses writing the source onto itself.
/// </summary>
internal sealed record RemoteFileHeader(string SourcePath, string Name, long Size, uint Mode, uint Uid, uint Gid, long AccessSeconds, long AccessNanoseconds, long ModifySeconds, long ModifyNanoseconds)
{
    public string? Sha256 { get; init; }

    /// <summary>A sparse file's data extents (<see cref="DataExtents"/>); null: the whole file.</summary>
    public long[]? Extents { get; init; }

    /// <summary>The source's device and inode on the sending host's kernel.</summary>
    public FileIdentity? Source { get; init; }

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
        status.ModifyNanoseconds)
    {
        Source = FileIdentity.Of(status),
    };

    /// <summary>The status a local source with these properties would have, for the metadata rules
    /// (no device or inode: see <see cref="SourceHere"/>).</summary>
    public FileStatus ToStatus() =>
        new(Mode, Size, (Size + 511) / 512, 0, 0, 1, Uid, Gid, AccessSeconds, AccessNanoseconds, ModifySeconds, ModifyNanoseconds, ModifySeconds);

    /// <summary>The source as this host knows it, to refuse a copy onto itself: only when the sending
    /// host runs on this very kernel (another namespace of this machine, sharing a file system),
    /// where its device and inode name a file here; null from another machine.</summary>
    public FileStatus? SourceHere => Source is { IsHere: true } source ? ToStatus() with { Device = source.Device, Inode = source.Inode } : null;

    public string ToJson() => JsonSerializer.Serialize(this);

    public static RemoteFileHeader FromJson(string json)
    {
        var header = JsonSerializer.Deserialize<RemoteFileHeader>(json) ?? throw new ArgumentException("An empty file header.");
        return header.Name.Length == 0 || header.Name is "." or ".." || header.Name.Contains('/') || header.Size < 0 || !DataExtents.AreValid(header.Extents, header.Size)
            ? throw new ArgumentException($"The file header names '{header.Name}' of {header.Size} bytes (or data extents outside it), which no copy sends.")
            : header;
    }
}
