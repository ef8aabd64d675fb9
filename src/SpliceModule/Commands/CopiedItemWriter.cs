using System;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace SpliceModule.Commands;

/// <summary>
/// -PassThru output: a destination as Get-Item shows it, built from what the copy already knows
/// (its path) the way the FileSystem provider builds its items (the FileInfo or DirectoryInfo with
/// PSPath, PSParentPath, PSChildName, PSDrive, PSProvider and PSIsContainer), without asking the
/// provider for each item again; with how it was written as note properties.
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

    /// <summary>The item at <paramref name="path"/> as the FileSystem provider would write it.</summary>
    public static PSObject ItemFor(PSCmdlet cmdlet, string path)
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

    /// <summary>The FileSystem drive whose root holds the path most closely (/ for most paths).</summary>
    private static PSDriveInfo? DriveOf(PSCmdlet cmdlet, string path) =>
        cmdlet.SessionState.Drive.GetAllForProvider("FileSystem")
            .Where(d => path.StartsWith(d.Root, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            .OrderByDescending(d => d.Root.Length)
            .FirstOrDefault();
}
