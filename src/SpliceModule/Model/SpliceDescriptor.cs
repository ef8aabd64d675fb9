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
    private readonly IDisposable? _owner;

    /// <param name="owner">What else must live as long as the descriptor and be disposed with it
    /// (the .NET Socket that owns a socket's handle).</param>
    internal SpliceDescriptor(SafeHandle handle, string? path, FileKind kind, DescriptorAccess access, IDisposable? owner = null)
    {
        _owner = owner;
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

    public void Dispose()
    {
        // The owner first: a Socket closes its handle gracefully, while disposing a socket's
        // SafeHandle directly is an abortive close (SO_LINGER 0, a TCP reset that loses unsent bytes).
        _owner?.Dispose();
        Handle.Dispose();
    }

    public override string ToString() => IsClosed ? $"{DisplayName} (closed)" : DisplayName;
}
