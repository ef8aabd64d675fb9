using System;
using System.Runtime.InteropServices;

namespace SpliceModule.Interop;

/// <summary>
/// Borrows the raw descriptor of a SafeHandle for the length of one call, so that a Close from
/// another thread cannot free (and the kernel reuse) the number while a syscall is using it.
/// </summary>
internal readonly struct FdLease : IDisposable
{
    private readonly SafeHandle _handle;

    public FdLease(SafeHandle handle)
    {
        if (handle.IsClosed || handle.IsInvalid)
        {
            throw new ObjectDisposedException(nameof(SafeHandle), "The descriptor is closed.");
        }

        bool added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
        Fd = (int)handle.DangerousGetHandle();
    }

    public int Fd { get; }

    public void Dispose() => _handle?.DangerousRelease();
}
