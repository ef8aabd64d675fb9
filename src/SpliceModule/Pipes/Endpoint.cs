using System;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// Turns what a script passes as a source or destination (a <see cref="KernelPipe"/> or a
/// <see cref="SpliceDescriptor"/>) into the descriptor that plays that role, refusing misuse
/// (closed, wrong direction, offsets where there is no position) before anything moves.
/// </summary>
internal static class Endpoint
{
    /// <summary>A pipe as a source is read from its read end.</summary>
    public static SpliceDescriptor AsSource(object? value, string parameter = "Source") => Check(value switch
    {
        KernelPipe pipe => pipe.ReadEnd,
        SpliceDescriptor descriptor => descriptor,
        _ => throw NotADescriptor(value, parameter),
    }, reading: true);

    /// <summary>A pipe as a destination is written through its write end.</summary>
    public static SpliceDescriptor AsDestination(object? value) => Check(value switch
    {
        KernelPipe pipe => pipe.WriteEnd,
        SpliceDescriptor descriptor => descriptor,
        _ => throw NotADescriptor(value, "Destination"),
    }, reading: false);

    /// <summary>What a transfer from a source should move, for progress: <paramref name="length"/>,
    /// or what a regular file holds from <paramref name="offset"/> (or its position), whichever is
    /// less; 0 when unknown (streams).</summary>
    public static long ExpectedBytes(SafeHandle source, FileKind kind, string? path, long? offset, long? length)
    {
        long available = kind == FileKind.File
            ? Math.Max(0, Sys.Stat(source, path).Size - (offset ?? Sys.Seek(source, 0, Flags.SEEK_CUR, path)))
            : 0;
        return length is { } wanted ? (available > 0 ? Math.Min(wanted, available) : wanted) : available;
    }

    /// <summary>Offsets are positions in a file; pipes, sockets and character devices have none (ESPIPE).</summary>
    public static void RequireSeekable(SpliceDescriptor descriptor, string parameter)
    {
        if (descriptor.Kind is not (FileKind.File or FileKind.BlockDevice))
        {
            throw new SpliceRefusedException(
                Refusal.OffsetNotSupported,
                $"-{parameter} needs a regular file or block device, but {descriptor.DisplayName} is a {descriptor.Kind}, which has no position to start from.");
        }
    }

    /// <summary>A file opened with O_APPEND: splice(2) refuses to write into it (EINVAL).</summary>
    public static bool IsAppendOnly(SpliceDescriptor descriptor) =>
        descriptor.Kind == FileKind.File && (Sys.GetStatusFlags(descriptor.Handle, descriptor.Path) & Flags.O_APPEND) != 0;

    /// <summary>sendfile(2) has no SPLICE_F_NONBLOCK: only a socket in O_NONBLOCK mode returns EAGAIN
    /// when full (so that Ctrl+C and -TimeoutSec are honoured) instead of blocking inside the call.</summary>
    public static bool IsNonBlockingSocket(SpliceDescriptor descriptor) =>
        descriptor.Kind == FileKind.Socket && (Sys.GetStatusFlags(descriptor.Handle, descriptor.Path) & Flags.O_NONBLOCK) != 0;

    private static SpliceDescriptor Check(SpliceDescriptor descriptor, bool reading)
    {
        if (descriptor.IsClosed)
        {
            throw new SpliceRefusedException(Refusal.DescriptorClosed, $"The descriptor {descriptor} is closed.");
        }

        if (reading && !descriptor.CanRead)
        {
            throw new SpliceRefusedException(
                Refusal.SourceNotReadable,
                $"{descriptor.DisplayName} (fd {descriptor.Fd}) was opened for {descriptor.Access} and cannot be read; a pipe's write end is not a source (pass the pipe itself or its ReadEnd).");
        }

        if (!reading && !descriptor.CanWrite)
        {
            throw new SpliceRefusedException(
                Refusal.DestinationNotWritable,
                $"{descriptor.DisplayName} (fd {descriptor.Fd}) was opened for {descriptor.Access} and cannot be written; a pipe's read end is not a destination (pass the pipe itself or its WriteEnd).");
        }

        return descriptor;
    }

    private static SpliceRefusedException NotADescriptor(object? value, string role) =>
        new(Refusal.NotADescriptor, $"-{role} takes a KernelPipe or a SpliceDescriptor (from New-KernelPipe or Open-SpliceDescriptor), not {(value is null ? "null" : value.GetType().Name)}.");
}
