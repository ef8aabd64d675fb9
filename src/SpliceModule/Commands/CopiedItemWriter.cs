using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Management.Automation;

namespace SpliceModule.Commands;

/// <summary>
/// -PassThru output: a destination as Get-Item shows it (the FileInfo or DirectoryInfo with
/// PSPath, PSParentPath, PSChildName, PSDrive, PSProvider, PSIsContainer and UnixStat), with how
/// it was written as note properties.
/// </summary>
internal static class CopiedItemWriter
{
    private const string ProviderPrefix = @"Microsoft.PowerShell.Core\FileSystem::";

    public static void Write(PSCmdlet cmdlet, SpliceTransferResult result)
    {
        var item = ItemFor(cmdlet, result.Destination);
        item.TypeNames.Insert(0, CopySpliceItemCommand.CopiedFileTypeName);
        item.Properties.Add(new PSNoteProperty("CopyMethod", result.Method));
        item.Properties.Add(new PSNoteProperty("BytesCopied", result.Bytes));
        item.Properties.Add(new PSNoteProperty("Duration", result.Duration));
        item.Properties.Add(new PSNoteProperty("BytesPerSecond", (long)result.BytesPerSecond));
        item.Properties.Add(new PSNoteProperty("SourcePath", result.Source));
        cmdlet.WriteObject(item);
    }

    /// <summary>PowerShell's own lstat for the FileSystem provider's UnixStat (what UnixMode, User and
    /// Group read): an internal method, found once; null if a PowerShell lacks it.</summary>
    internal static readonly MethodInfo? UnixLStat = typeof(PSObject).Assembly
        .GetType("System.Management.Automation.Platform+Unix")
        ?.GetMethod("GetLStat", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, null, new[] { typeof(string) }, null);

    private static readonly MethodInfo UnixStatGetter = typeof(CopiedItemStat).GetMethod(nameof(CopiedItemStat.UnixStat))!;

    /// <summary>The item at <paramref name="path"/> as the FileSystem provider writes it. Built here
    /// from the path, as asking the provider for each item doubled a tree's -PassThru time; from
    /// the provider only where PowerShell's lstat cannot be found.</summary>
    public static PSObject ItemFor(PSCmdlet cmdlet, string path)
    {
        if (UnixLStat is null && !OperatingSystem.IsWindows())
        {
            try
            {
                var items = cmdlet.InvokeProvider.Item.Get(new[] { path }, true, true);
                if (items.Count == 1)
                {
                    return items[0];
                }
            }
            catch (Exception e) when (e is ItemNotFoundException or IOException or UnauthorizedAccessException or ProviderInvocationException)
            {
                // Built below, without UnixStat.
            }
        }

        var item = BuiltItemFor(cmdlet, path);
        if (UnixLStat is not null)
        {
            item.Properties.Add(new PSCodeProperty("UnixStat", UnixStatGetter));
        }

        return item;
    }

    private static PSObject BuiltItemFor(PSCmdlet cmdlet, string path)
    {
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        var item = PSObject.AsPSObject(info);
        var provider = cmdlet.SessionState.Provider.GetOne("FileSystem");
        string? parent = Path.GetDirectoryName(info.FullName);
        item.Properties.Add(new PSNoteProperty("PSPath", ProviderPrefix + info.FullName));
        item.Properties.Add(new PSNoteProperty("PSParentPath", parent is null ? string.Empty : ProviderPrefix + parent));
        item.Properties.Add(new PSNoteProperty("PSChildName", info.Name));
        item.Properties.Add(new PSNoteProperty("PSDrive", DriveOf(cmdlet, info.FullName)));
        item.Properties.Add(new PSNoteProperty("PSProvider", provider));
        item.Properties.Add(new PSNoteProperty("PSIsContainer", info is DirectoryInfo));
        return item;
    }

    /// <summary>The FileSystem drive PowerShell puts a full path on, as Get-Item and Copy-Item -PassThru
    /// show it: the drive at the path's root (/ on Linux, C: for C:\...), not a drive whose root
    /// merely lies above the path (Temp for /tmp/...); null where no drive has that root (a share).</summary>
    private static PSDriveInfo? DriveOf(PSCmdlet cmdlet, string path)
    {
        string? root = Path.GetPathRoot(path);
        return cmdlet.SessionState.Drive.GetAllForProvider("FileSystem")
            .FirstOrDefault(d => string.Equals(d.Root, root, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));
    }
}

/// <summary>UnixStat of a -PassThru item, read when asked rather than when the item was written: a
/// directory is written as soon as it stands at its path and gets its mode and times only once
/// its content is complete, so a snapshot would show it private (0700). Public only because
/// PowerShell's code properties call public methods.</summary>
public static class CopiedItemStat
{
    /// <summary>PowerShell's lstat record of the item's path, or null when it cannot be read.</summary>
    public static object? UnixStat(PSObject instance)
    {
        if (instance.BaseObject is not FileSystemInfo info || CopiedItemWriter.UnixLStat is null)
        {
            return null;
        }

        try
        {
            return CopiedItemWriter.UnixLStat.Invoke(null, new object[] { info.FullName });
        }
        catch (TargetInvocationException)
        {
            return null;
        }
    }
}
