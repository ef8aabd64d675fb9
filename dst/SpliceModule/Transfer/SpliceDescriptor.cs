using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule;

/// <summary>How a descriptor was opened.</summary>
public enum DescriptorAccess
{
    Read,
    Write,
    Append,
    ReadWrite,
}

/// <summary>
/// One open kernel descriptor that scripts pass between cmdlets. It owns its descriptor: closing
/// it (or disposing it) closes the descriptor exactly once, however often it is called.
/// </summary>
public sealed class SpliceDescriptor : IDisposable
{
    internal SpliceDescriptor(SafeHandle handle, string? path, FileKind kind, DescriptorAccess access)
    {
        Handle = handle;
        Path = path;
        Kind = kind;
        Access = access;
        using var lease = new FdLease(handle);
        Fd = lease.Fd;
    }

    /// <summary>The descriptor number, for display and for matching /proc/self/fd; it is not a handle.</summary>
    public int Fd { get; }

    public string? Path { get; }

    public FileKind Kind { get; }

    public DescriptorAccess Access { get; }

    public bool IsClosed => Handle.IsClosed;

    public bool CanRead => Access is DescriptorAccess.Read or DescriptorAccess.ReadWrite;

    public bool CanWrite => Access is not DescriptorAccess.Read;

    internal SafeHandle Handle { get; }

    /// <summary>What error messages call this descriptor.</summary>
    internal string DisplayName => Path ?? $"{Kind.ToString().ToLowerInvariant()} fd {Fd}";

    public void Close() => Dispose();

    public void Dispose() => Handle.Dispose();

    public override string ToString() => IsClosed ? $"{DisplayName} (closed)" : DisplayName;
}
