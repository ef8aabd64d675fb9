using System;
using System.IO;
using SpliceModule.Interop;

namespace SpliceModule;

/// <summary>
/// An anonymous kernel pipe: the buffer that splice, tee and vmsplice move pages through.
/// </summary>
public sealed class KernelPipe : IDisposable
{
    internal const string PipeMaxSizePath = "/proc/sys/fs/pipe-max-size";

    private int _capacity;

    private KernelPipe(SpliceDescriptor readEnd, SpliceDescriptor writeEnd, bool nonBlocking)
    {
        ReadEnd = readEnd;
        WriteEnd = writeEnd;
        IsNonBlocking = nonBlocking;
        _capacity = Sys.GetPipeSize(writeEnd.Handle);
    }

    public SpliceDescriptor ReadEnd { get; }

    public SpliceDescriptor WriteEnd { get; }

    public bool IsNonBlocking { get; }

    /// <summary>The kernel's buffer size in bytes. Setting it asks the kernel, which rounds up to a
    /// power-of-two number of pages; reading it back gives what was really granted.</summary>
    public int Capacity
    {
        get => OpenEnd is { } end ? _capacity = Sys.GetPipeSize(end.Handle) : _capacity;
        set => _capacity = Resize(OpenEnd ?? throw new ObjectDisposedException(nameof(KernelPipe), "The pipe is closed."), value);
    }

    /// <summary>Bytes written but not yet read (FIONREAD); 0 once the read end is closed.</summary>
    public int BytesAvailable => ReadEnd.IsClosed ? 0 : Sys.BytesAvailable(ReadEnd.Handle);

    public bool IsClosed => ReadEnd.IsClosed && WriteEnd.IsClosed;

    public static KernelPipe Create(int? capacity = null, bool nonBlocking = false)
    {
        var (read, write) = Sys.Pipe(nonBlocking);
        var pipe = new KernelPipe(
            new SpliceDescriptor(read, null, FileKind.Pipe, DescriptorAccess.Read),
            new SpliceDescriptor(write, null, FileKind.Pipe, DescriptorAccess.Write),
            nonBlocking);
        if (capacity is { } wanted)
        {
            try
            {
                pipe.Capacity = wanted;
            }
            catch
            {
                pipe.Dispose();
                throw;
            }
        }

        return pipe;
    }

    /// <summary>A non-blocking pipe for a transfer of the module's own, grown towards
    /// <paramref name="capacity"/> as far as the kernel allows (<see cref="Sys.GrowPipe"/>): unlike
    /// <see cref="Create"/>, a refused size is not an error, since the transfer works at any size.</summary>
    internal static KernelPipe ForTransfer(int capacity)
    {
        var pipe = Create(nonBlocking: true);
        try
        {
            pipe._capacity = Sys.GrowPipe(pipe.WriteEnd.Handle, capacity);
        }
        catch
        {
            pipe.Dispose();
            throw;
        }

        return pipe;
    }

    /// <summary>The largest capacity an unprivileged process may ask for, or null where it cannot be read.</summary>
    public static int? ReadPipeMaxSize()
    {
        try
        {
            return int.Parse(File.ReadAllText(PipeMaxSizePath).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    public void Close() => Dispose();

    public void Dispose()
    {
        ReadEnd.Dispose();
        WriteEnd.Dispose();
    }

    public override string ToString() =>
        IsClosed ? "pipe (closed)" : $"pipe fd {ReadEnd.Fd}<-{WriteEnd.Fd} ({_capacity} bytes)";

    private static int Resize(SpliceDescriptor end, int bytes)
    {
        if (bytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), bytes, "A pipe's capacity must be a positive number of bytes.");
        }

        try
        {
            return Sys.SetPipeSize(end.Handle, bytes);
        }
        catch (SpliceException e) when (e.Errno == Errno.EBUSY)
        {
            throw new SpliceException(e.Errno, "fcntl(F_SETPIPE_SZ)", detail:
                $"The pipe holds more than {bytes} bytes; read them before making it that small.");
        }
        catch (SpliceException e)
        {
            throw new SpliceException(e.Errno, "fcntl(F_SETPIPE_SZ)", detail:
                $"The kernel refused a pipe capacity of {bytes} bytes; unprivileged processes may ask for at most " +
                $"{PipeMaxSizePath} ({ReadPipeMaxSize()?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"} bytes), " +
                "and all pipes of a user share the limits in /proc/sys/fs/pipe-user-pages-*.");
        }
    }

    private SpliceDescriptor? OpenEnd => !WriteEnd.IsClosed ? WriteEnd : !ReadEnd.IsClosed ? ReadEnd : null;
}
