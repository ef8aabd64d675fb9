using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace SpliceModule.Interop;

internal enum KernelFeature
{
    Splice,
    Tee,
    VmSplice,
    CopyFileRange,
    SendFile,
}

/// <summary>
/// Whether each zero-copy call works in this process. Each is probed once, on first need, with a
/// one-byte call; a later ENOSYS from the real call marks it unavailable too. Seccomp filters
/// (containers) answer ENOSYS or EPERM, so both count as "not here".
/// </summary>
internal static class KernelFeatures
{
    /// <summary>Set to 1 to make the module behave as on a system without these calls (tests the portable path).</summary>
    internal const string DisableVariable = "SPLICEMODULE_DISABLE_KERNEL";

    private const int Unknown = 0, Available = 1, Unavailable = 2;
    private static readonly int[] States = new int[Enum.GetValues<KernelFeature>().Length];

    /// <summary>True on Linux unless the kill switch is set: the Linux-only cmdlets may run.</summary>
    internal static bool LinuxKernel { get; } =
        OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable(DisableVariable) != "1";

    internal static bool IsAvailable(KernelFeature feature)
    {
        if (!LinuxKernel)
        {
            return false;
        }

        ref int state = ref States[(int)feature];
        int known = Volatile.Read(ref state);
        if (known != Unknown)
        {
            return known == Available;
        }

        int probed = Probe(feature);
        if (probed != Unknown)
        {
            Volatile.Write(ref state, probed);
        }

        return probed == Available;
    }

    internal static void MarkUnavailable(KernelFeature feature) => Volatile.Write(ref States[(int)feature], Unavailable);

    /// <summary>Forgets what was learned; for tests of the cache itself.</summary>
    internal static void Reset() => Array.Clear(States);

    /// <summary>Available or Unavailable from the call itself; Unknown (not cached, asked again next
    /// time) when the probe could not even be set up, e.g. no descriptors left. Either way the
    /// answer is never an exception: a copy must not fail because a probe could not run.</summary>
    private static int Probe(KernelFeature feature)
    {
        string call = feature switch
        {
            KernelFeature.Splice => "splice",
            KernelFeature.Tee => "tee",
            KernelFeature.VmSplice => "vmsplice",
            KernelFeature.CopyFileRange => "copy_file_range",
            _ => "sendfile",
        };
        try
        {
            bool works = feature switch
            {
                KernelFeature.Splice => ProbeBetweenPipes(static (a, b) => Sys.Splice(a, Sys.CurrentPosition, b, Sys.CurrentPosition, 1, Flags.SPLICE_F_NONBLOCK)),
                KernelFeature.Tee => ProbeBetweenPipes(static (a, b) => Sys.Tee(a, b, 1, Flags.SPLICE_F_NONBLOCK)),
                KernelFeature.VmSplice => ProbeVmSplice(),
                KernelFeature.CopyFileRange => ProbeFromFile(static (file, scratch, _) => Sys.CopyFileRange(file, 0, scratch, 0, 1)),
                _ => ProbeFromFile(static (file, _, pipeWrite) => Sys.SendFile(pipeWrite, file, 0, 1)),
            };
            return works ? Available : Unavailable;
        }
        catch (SpliceException e) when (e.Syscall == call)
        {
            // ENOSYS, or EPERM from a seccomp filter (containers), or an old kernel's EINVAL.
            return Unavailable;
        }
        catch (SpliceException)
        {
            return Unknown;
        }
    }

    private static bool ProbeBetweenPipes(Func<SafeHandle, SafeHandle, long> call)
    {
        var (aRead, aWrite) = Sys.Pipe(nonBlocking: true);
        var (bRead, bWrite) = Sys.Pipe(nonBlocking: true);
        using (aRead)
        using (aWrite)
        using (bRead)
        using (bWrite)
        {
            Sys.Write(aWrite, "x"u8);
            return call(aRead, bWrite) == 1;
        }
    }

    private static unsafe bool ProbeVmSplice()
    {
        var (read, write) = Sys.Pipe(nonBlocking: true);
        using (read)
        using (write)
        {
            byte one = 1;
            return Sys.VmSplice(write, &one, 1, Flags.SPLICE_F_NONBLOCK) == 1;
        }
    }

    /// <summary>Runs <paramref name="call"/> with a one-byte memory file, an empty one and a pipe's
    /// write end. Memory files need no writable temporary directory (TMPDIR may be missing or
    /// read-only) and vanish with their descriptors.</summary>
    private static bool ProbeFromFile(Func<SafeHandle, SafeHandle, SafeHandle, long> call)
    {
        using var source = Sys.MemoryFile("splicemodule-probe");
        using var scratch = Sys.MemoryFile("splicemodule-probe-copy");
        Sys.Write(source, "x"u8);
        var (read, write) = Sys.Pipe(nonBlocking: true);
        using (read)
        using (write)
        {
            return call(source, scratch, write) == 1;
        }
    }
}
