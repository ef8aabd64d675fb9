using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

// The system calls that transfers make through ReadinessWait.Retry, as structs: the loop is then
// compiled for each of them, and a call costs no delegate and no allocation.

/// <summary>splice(2) once (offsets as <see cref="Sys.Splice"/> takes them).</summary>
internal readonly record struct SpliceCall(SafeHandle From, long FromOffset, SafeHandle To, long ToOffset, long Length, uint SpliceFlags, string? FromPath, string? ToPath)
    : INonBlockingCall
{
    public long Try() => Sys.Splice(From, FromOffset, To, ToOffset, Length, SpliceFlags, FromPath, ToPath);
}

/// <summary>sendfile(2) once, from <paramref name="FromOffset"/> or the source's position.</summary>
internal readonly record struct SendFileCall(SafeHandle From, long FromOffset, SafeHandle To, long Length, string? FromPath, string? ToPath)
    : INonBlockingCall
{
    public long Try() => Sys.SendFile(To, From, FromOffset, Length, FromPath, ToPath);
}

/// <summary>vmsplice(2) of memory that stays unchanged until the pipe has been drained.</summary>
internal readonly record struct VmSpliceCall(SafeHandle Pipe, nint Memory, long Length, uint SpliceFlags, string? PipePath)
    : INonBlockingCall
{
    public unsafe long Try() => Sys.VmSplice(Pipe, (void*)Memory, Length, SpliceFlags, PipePath);
}

/// <summary>read(2) once into native or pinned memory, or pread(2) at <paramref name="Offset"/>
/// (<see cref="Sys.CurrentPosition"/>: read from the descriptor's position and move it).</summary>
internal readonly record struct ReadCall(SafeHandle From, nint Buffer, int Length, long Offset, string? FromPath)
    : INonBlockingCall
{
    public unsafe long Try() => Sys.Read(From, new Span<byte>((void*)Buffer, Length), Offset, FromPath);
}

/// <summary>write(2) once from native or pinned memory, or pwrite(2) at <paramref name="Offset"/>
/// (<see cref="Sys.CurrentPosition"/>: write at the descriptor's position and move it).</summary>
internal readonly record struct WriteCall(SafeHandle To, nint Buffer, int Length, long Offset, string? ToPath)
    : INonBlockingCall
{
    public unsafe long Try() => Sys.Write(To, new ReadOnlySpan<byte>((void*)Buffer, Length), Offset, ToPath);
}
