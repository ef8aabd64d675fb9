using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>Answers Get-SpliceCapability: the cached per-process probes plus, for a path, its file system and a real reflink try.</summary>
internal static class CapabilityProbe
{
    private static readonly Dictionary<long, string> FileSystemNames = new()
    {
        [Flags.EXT4_SUPER_MAGIC] = "ext4",
        [Flags.XFS_SUPER_MAGIC] = "xfs",
        [Flags.BTRFS_SUPER_MAGIC] = "btrfs",
        [Flags.TMPFS_MAGIC] = "tmpfs",
        [0x794C7630] = "overlay",
        [Flags.PROC_SUPER_MAGIC] = "proc",
        [Flags.SYSFS_MAGIC] = "sysfs",
        [0x1373] = "devfs",
        [0x6969] = "nfs",
        [0xFE534D42] = "smb2",
        [0x2FC12FC1] = "zfs",
        [0xF2F52010] = "f2fs",
        [0xCAFE001] = "bcachefs",
        [0x4D44] = "vfat",
        [0x5346544E] = "ntfs",
        [0x65735546] = "fuse",
        [0x858458F6] = "ramfs",
        [0x73717368] = "squashfs",
        [0x9660] = "iso9660",
        [0x01021997] = "9p",
        [0x6E736673] = "nsfs",
        [Flags.CGROUP_SUPER_MAGIC] = "cgroup",
        [Flags.CGROUP2_SUPER_MAGIC] = "cgroup2",
    };

    public static SpliceCapability Probe(string? path)
    {
        bool linux = KernelFeatures.LinuxKernel;
        return new SpliceCapability
        {
            Platform = linux ? "Linux" : RuntimeInformation.OSDescription,
            KernelRelease = OperatingSystem.IsLinux() ? Sys.KernelRelease() : Environment.OSVersion.VersionString,
            Splice = KernelFeatures.IsAvailable(KernelFeature.Splice),
            Tee = KernelFeatures.IsAvailable(KernelFeature.Tee),
            VmSplice = KernelFeatures.IsAvailable(KernelFeature.VmSplice),
            CopyFileRange = KernelFeatures.IsAvailable(KernelFeature.CopyFileRange),
            SendFile = KernelFeatures.IsAvailable(KernelFeature.SendFile),
            PipeMaxSize = OperatingSystem.IsLinux() ? KernelPipe.ReadPipeMaxSize() : null,
            Path = path,
            FileSystem = path is not null && OperatingSystem.IsLinux() ? FileSystemOf(path) : null,
            Reflink = path is not null && linux ? TryReflink(DirectoryOf(path)) : null,
        };
    }

    public static string FileSystemOf(string path)
    {
        // O_PATH: a FIFO, socket or device is looked at, never opened (opening a FIFO for reading
        // would let a waiting writer in, and closing it would kill that writer with SIGPIPE).
        using var handle = Sys.Open(path, Flags.O_PATH);
        long magic = Sys.FileSystemType(handle, path);
        return FileSystemNames.TryGetValue(magic, out var name) ? name : $"0x{magic:x}";
    }

    private static string DirectoryOf(string path) =>
        Sys.Stat(path).Kind == FileKind.Directory ? path : System.IO.Path.GetDirectoryName(path) ?? ".";

    /// <summary>Clones a one-byte scratch file in <paramref name="directory"/>; null when scratch files
    /// cannot be made there. The scratch files are unnamed where the file system allows (O_TMPFILE),
    /// and are never committed, so nothing is left in the directory.</summary>
    private static bool? TryReflink(string directory)
    {
        TemporaryFile source, clone;
        DirectoryHandle held;
        try
        {
            held = DirectoryHandle.Open(directory);
        }
        catch (SpliceException)
        {
            return null;
        }

        using (held)
        {
            using var slot = DestinationSlot.In(held, EntryName.From("reflink-probe"), lookFirst: true);
            try
            {
                source = slot.CreateFile(readable: true);
            }
            catch (SpliceException)
            {
                return null;
            }

            using (source)
            {
                try
                {
                    clone = slot.CreateFile(readable: true);
                }
                catch (SpliceException)
                {
                    return null;
                }

                using (clone)
                {
                    try
                    {
                        Sys.Write(source.Handle, "x"u8);
                        Sys.Clone(source.Handle, clone.Handle, directory, directory);
                        return true;
                    }
                    catch (SpliceException)
                    {
                        return false;
                    }
                }
            }
        }
    }
}
