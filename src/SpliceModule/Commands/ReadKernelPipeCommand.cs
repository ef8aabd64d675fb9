using System;
using System.IO;
using System.Management.Automation;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Read-KernelPipe: what a pipe, FIFO or socket holds, as lines, one string or bytes.</summary>
[Cmdlet(VerbsCommunications.Read, "KernelPipe")]
[OutputType(typeof(string), typeof(byte), typeof(byte[]))]
public sealed class ReadKernelPipeCommand : PipelineCmdlet
{
    private static readonly string[] LineBreaks = { "\r\n", "\n" };

    /// <summary>A KernelPipe (read from its read end), a SpliceDescriptor of a pipe, FIFO or socket, or
    /// the file item of a FIFO (Get-Item), opened for this read and closed after it.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object? Pipe { get; set; }

    /// <summary>Read exactly this many bytes (fewer only at end of input), waiting for them as needed.</summary>
    [Parameter]
    [ValidateRange(1, 0x7FFFFFC7)]
    public int? Length { get; set; }

    [Parameter]
    public SwitchParameter AsByteStream { get; set; }

    [Parameter]
    [ValidateSet("utf8", "utf8NoBOM", "utf8BOM", "ascii", "unicode", "bigendianunicode", "utf32", "latin1", IgnoreCase = true)]
    public string Encoding { get; set; } = EncodingArgument.Default;

    /// <summary>One string (or, with -AsByteStream, one byte[]) instead of lines (or single bytes).</summary>
    [Parameter]
    public SwitchParameter Raw { get; set; }

    protected override void ProcessRecord()
    {
        byte[] bytes;
        SpliceDescriptor? opened = null;
        try
        {
            bytes = KernelPipeReader.Read(SourceItemPath(Pipe) is { } path ? opened = OpenForReading(path) : Unwrap(Pipe), Length, Wait);
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, Unwrap(Pipe));
            return;
        }
        finally
        {
            opened?.Dispose();
        }

        if (AsByteStream)
        {
            WriteObject(bytes, enumerateCollection: !Raw);
            return;
        }

        string text = EncodingArgument.Resolve(Encoding).GetString(bytes).TrimStart('\uFEFF');
        if (Raw)
        {
            WriteObject(text);
            return;
        }

        string[] lines = text.Split(LineBreaks, StringSplitOptions.None);
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        for (int i = 0; i < count; i++)
        {
            WriteObject(lines[i]);
        }
    }
}
