using System.Management.Automation;

namespace SpliceModule.Commands;

/// <summary>Writes a destination file as Get-Item shows it (PSPath and all), with how it was written as note properties.</summary>
internal static class CopiedItemWriter
{
    public static void Write(PSCmdlet cmdlet, SpliceTransferResult result)
    {
        foreach (var item in cmdlet.InvokeProvider.Item.Get(new[] { result.Destination }, force: true, literalPath: true))
        {
            item.TypeNames.Insert(0, CopySpliceItemCommand.CopiedFileTypeName);
            item.Properties.Add(new PSNoteProperty("CopyMethod", result.Method));
            item.Properties.Add(new PSNoteProperty("BytesCopied", result.Bytes));
            item.Properties.Add(new PSNoteProperty("Duration", result.Duration));
            item.Properties.Add(new PSNoteProperty("BytesPerSecond", (long)result.BytesPerSecond));
            item.Properties.Add(new PSNoteProperty("SourcePath", result.Source));
            cmdlet.WriteObject(item);
        }
    }
}
