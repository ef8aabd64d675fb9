using System;

namespace SpliceModule.Interop;

/// <summary>What statx(2) says about one file: only the fields the engine decides on.</summary>
internal readonly record struct FileStatus(
    uint Mode,
    long Size,
    long Blocks,
    ulong Device,
    ulong Inode,
    uint LinkCount,
    uint Uid,
    uint Gid,
    long AccessSeconds,
    long AccessNanoseconds,
    long ModifySeconds,
    long ModifyNanoseconds,
    long ChangeSeconds)
{
    private const uint TypeMask = 0xF000;

    public FileKind Kind => (Mode & TypeMask) switch
    {
        0x8000 => FileKind.File,
        0x4000 => FileKind.Directory,
        0x1000 => FileKind.Fifo,
        0xC000 => FileKind.Socket,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0xA000 => FileKind.SymbolicLink,
        _ => FileKind.Unknown,
    };

    /// <summary>Permission bits including setuid, setgid and sticky.</summary>
    public int Permissions => (int)(Mode & 0xFFF);

    /// <summary>Fewer blocks than bytes: the file has holes worth keeping.</summary>
    public bool IsSparse => Kind == FileKind.File && Blocks * 512 < Size;

    public bool IsSameFile(in FileStatus other) => Device == other.Device && Inode == other.Inode;

    public DateTime LastWriteTimeUtc =>
        DateTime.UnixEpoch.AddTicks(ModifySeconds * TimeSpan.TicksPerSecond + ModifyNanoseconds / 100);
}
