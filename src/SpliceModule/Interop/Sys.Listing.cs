using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SpliceModule.Interop;

/// <summary>Reading a held directory (getdents64: names as bytes), locks on temporary files, and
/// the process facts the safe opener decides on (its effective user, its umask).</summary>
internal static unsafe partial class Sys
{
    /// <summary>flock(2) without waiting; false when another descriptor holds a conflicting lock.</summary>
    internal static bool TryLock(SafeHandle file, bool exclusive, string display)
    {
        using var lease = new FdLease(file);
        while (LibC.Flock(lease.Fd, (exclusive ? Flags.LOCK_EX : Flags.LOCK_SH) | Flags.LOCK_NB) != 0)
        {
            if (LastErrno == Errno.EAGAIN)
            {
                return false;
            }

            ThrowUnlessInterrupted("flock", display);
        }

        return true;
    }

    internal static uint EffectiveUid => LibC.GetEffectiveUid();

    /// <summary>The process's umask, read from /proc/self/status (umask(2) can only read it by
    /// changing it, which races with other threads); 022 where /proc does not say.</summary>
    internal static int Umask => s_umask ??= ReadUmask();

    private static int? s_umask;

    private static int ReadUmask()
    {
        try
        {
            foreach (string line in System.IO.File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                {
                    return Convert.ToInt32(line[6..].Trim(), 8);
                }
            }
        }
        catch (System.IO.IOException)
        {
        }

        return 0b000_010_010;
    }

    /// <summary>Set once fchmodat2 answered ENOSYS (kernels before 6.6, or seccomp).</summary>
    private static volatile bool s_noFchmodAt2;

    /// <summary>Every name in an open directory but . and .., with the type getdents64 reports
    /// (DT_UNKNOWN, 0, on file systems that do not fill it in). Reads from the start.</summary>
    internal static List<(EntryName Name, byte Type)> ReadDirectory(SafeHandle directory, string display)
    {
        Seek(directory, 0, Flags.SEEK_SET, display);
        var entries = new List<(EntryName, byte)>();
        using var lease = new FdLease(directory);
        const int BufferSize = 64 * 1024;
        byte* buffer = (byte*)NativeMemory.Alloc(BufferSize);
        try
        {
            while (true)
            {
                long read = LibC.Getdents64(lease.Fd, buffer, BufferSize);
                if (read == 0)
                {
                    return entries;
                }

                if (read < 0)
                {
                    ThrowUnlessInterrupted("getdents64", display);
                    continue;
                }

                for (long offset = 0; offset < read;)
                {
                    byte* record = buffer + offset;
                    ushort length = *(ushort*)(record + 16);
                    byte type = record[18];
                    var name = new ReadOnlySpan<byte>(record + 19, length - 19);
                    name = name[..name.IndexOf((byte)0)];
                    if (!(name.Length == 1 && name[0] == '.') && !(name.Length == 2 && name[0] == '.' && name[1] == '.'))
                    {
                        entries.Add((EntryName.From(name), type));
                    }

                    offset += length;
                }
            }
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }
}
