using System;
using System.IO;
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
        if (Volatile.Read(ref state) == Unknown)
        {
            Volatile.Write(ref state, Probe(feature) ? Available : Unavailable);
        }

        return Volatile.Read(ref state) == Available;
    }

    internal static void MarkUnavailable(KernelFeature feature) => Volatile.Write(ref States[(int)feature], Unavailable);

    /// <summary>Forgets what was learned; for tests of the cache itself.</summary>
    internal static void Reset() => Array.Clear(States);

    private static bool Probe(KernelFeature feature)
    {
        try
        {
            return feature switch
            {
                KernelFeature.Splice => ProbeBetweenPipes(static (a, b) => Sys.Splice(a, Sys.CurrentPosition, b, Sys.CurrentPosition, 1, Flags.SPLICE_F_NONBLOCK)),
                KernelFeature.Tee => ProbeBetweenPipes(static (a, b) => Sys.Tee(a, b, 1, Flags.SPLICE_F_NONBLOCK)),
                KernelFeature.VmSplice => ProbeVmSplice(),
                KernelFeature.CopyFileRange => ProbeFromFile(static (file, scratch, _) => Sys.CopyFileRange(file, 0, scratch, 0, 1)),
                KernelFeature.SendFile => ProbeFromFile(static (file, _, pipeWrite) => Sys.SendFile(pipeWrite, file, 0, 1)),
                _ => false,
            };
        }
        catch (SpliceException e) when (e.Errno is Errno.ENOSYS or Errno.EPERM or Errno.EOPNOTSUPP or Errno.EINVAL)
        {
            return false;
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

    private static bool ProbeFromFile(Func<SafeHandle, SafeHandle, SafeHandle, long> call)
    {
        string directory = Path.GetTempPath();
        string sourcePath = Path.Combine(directory, $".splicemodule-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string scratchPath = sourcePath + ".copy";
        try
        {
            using var source = Sys.Open(sourcePath, Flags.O_RDWR | Flags.O_CREAT | Flags.O_EXCL, 0b110_000_000);
            using var scratch = Sys.Open(scratchPath, Flags.O_RDWR | Flags.O_CREAT | Flags.O_EXCL, 0b110_000_000);
            Sys.Write(source, "x"u8);
            var (read, write) = Sys.Pipe(nonBlocking: true);
            using (read)
            using (write)
            {
                return call(source, scratch, write) == 1;
            }
        }
        finally
        {
            Sys.Unlink(sourcePath);
            Sys.Unlink(scratchPath);
        }
    }
}
