namespace SpliceModule;

/// <summary>What a descriptor or path refers to, as the kernel sees it.</summary>
public enum FileKind
{
    Unknown,
    File,
    Directory,
    Pipe,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    SymbolicLink,
}
