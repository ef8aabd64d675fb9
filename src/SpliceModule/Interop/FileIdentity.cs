using System;
using System.IO;

namespace SpliceModule.Interop;

/// <summary>
/// Which file a status names, as another host can be told it: a device and inode name one file
/// only within one running kernel, so they go with that kernel's boot id
/// (/proc/sys/kernel/random/boot_id). Two hosts that answer the same boot id are one machine (a
/// network namespace or container of it, which may share its file systems), where the numbers mean
/// the same file; on any other machine they mean nothing, however they compare.
/// </summary>
internal sealed record FileIdentity(string Boot, ulong Device, ulong Inode)
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>This kernel's boot id; empty where it cannot be read (then no identity is ever here).</summary>
    internal static string ThisBoot { get; } = ReadBootId();

    public static FileIdentity Of(in FileStatus status) => new(ThisBoot, status.Device, status.Inode);

    /// <summary>The identity was taken on this very kernel, so its device and inode are this machine's.</summary>
    public bool IsHere => ThisBoot.Length > 0 && string.Equals(Boot, ThisBoot, StringComparison.Ordinal);

    private static string ReadBootId()
    {
        try
        {
            return File.ReadAllText(BootIdPath).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
