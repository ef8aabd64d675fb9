using System;
using System.Buffers;
using System.IO;
using System.Management.Automation;
using System.Text;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Write-VmSplice: maps bytes or text into a pipe with vmsplice(2), or on through it into a destination.</summary>
[Cmdlet(VerbsCommunications.Write, "VmSplice", DefaultParameterSetName = PipeSet, SupportsShouldProcess = true)]
[OutputType(typeof(SpliceTransferResult))]
public sealed class WriteVmSpliceCommand : PipelineCmdlet
{
    private const string PipeSet = "Pipe";
    private const string DestinationSet = "Destination";
    private const int ByteBatch = 64 * 1024;

    private readonly ArrayBufferWriter<byte> _pendingBytes = new();
    private VmSpliceWriter? _writer;
    private DestinationFile? _file;
    private Encoding _encoding = new UTF8Encoding(false);
    private bool _preambleWritten;

    /// <summary>byte[], single bytes (as PowerShell unrolls arrays), strings, char arrays or single
    /// characters; $null is skipped. Nested arrays are unrolled.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    [AllowNull]
    public object? InputObject { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PipeSet)]
    public KernelPipe? Pipe { get; set; }

    /// <summary>A SpliceDescriptor, a KernelPipe, or a path (file, FIFO or device).</summary>
    [Parameter(Mandatory = true, ParameterSetName = DestinationSet)]
    public object? Destination { get; set; }

    [Parameter]
    [ValidateSet("utf8", "utf8NoBOM", "utf8BOM", "ascii", "unicode", "bigendianunicode", "utf32", "latin1", IgnoreCase = true)]
    public string Encoding { get; set; } = EncodingArgument.Default;

    /// <summary>Do not add a newline after each string.</summary>
    [Parameter]
    public SwitchParameter NoNewline { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _encoding = EncodingArgument.Resolve(Encoding);
        try
        {
            _writer = OpenWriter();
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteItemError(e, Unwrap(Destination) ?? Pipe);
        }
    }

    protected override void ProcessRecord()
    {
        if (_writer is null)
        {
            return;
        }

        try
        {
            foreach (object? item in Unroll(InputObject))
            {
                WriteItem(item);
            }
        }
        catch (Exception e) when (IsItemError(e))
        {
            Fail(e);
        }
    }

    protected override void EndProcessing()
    {
        if (_writer is null)
        {
            return;
        }

        try
        {
            FlushBytes();
            _writer.Flush();
            _file?.Commit(null);
            if (PassThru)
            {
                WriteObject(_writer.Result);
            }
        }
        catch (Exception e) when (IsItemError(e))
        {
            Fail(e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writer?.Dispose();
            _file?.Dispose();
        }

        base.Dispose(disposing);
    }

    private VmSpliceWriter? OpenWriter()
    {
        object? destination = ParameterSetName == PipeSet ? Pipe : Unwrap(Destination);
        // A path is shown (-WhatIf, -Confirm) as the full path it will be written at, as the other cmdlets show it.
        string target = destination switch
        {
            KernelPipe pipe => pipe.ToString(),
            SpliceDescriptor descriptor => descriptor.DisplayName,
            _ => new PathResolver(this).ResolveNew(LanguagePrimitives.ConvertTo<string>(destination)),
        };
        if (!ShouldProcess(target, "Write with vmsplice"))
        {
            return null;
        }

        switch (destination)
        {
            case KernelPipe pipe:
                return VmSpliceWriter.IntoPipe(pipe, Wait);
            case SpliceDescriptor descriptor:
                return VmSpliceWriter.Through(descriptor, Wait);
            default:
                _file = DestinationFile.Open(target, null, force: false, Wait);
                return VmSpliceWriter.Through(_file.AsDescriptor(), Wait);
        }
    }

    private void WriteItem(object? item)
    {
        switch (item)
        {
            case byte single:
                _pendingBytes.GetSpan(1)[0] = single;
                _pendingBytes.Advance(1);
                if (_pendingBytes.WrittenCount >= ByteBatch)
                {
                    FlushBytes();
                }

                break;
            case byte[] bytes:
                FlushBytes();
                _writer!.Write(bytes);
                break;
            case string text:
                WriteText(text);
                break;
            case char[] chars:
                WriteText(new string(chars));
                break;
            case char single:
                // [char[]]'abc' | Write-VmSplice: the pipeline unrolls it; each character is text, as with Set-Content.
                WriteText(single.ToString());
                break;
            case null:
                // Skipped, as Set-Content and Out-File skip $null.
                break;
            case var other:
                WriteItemError(
                    new SpliceRefusedException(Refusal.UnsupportedInput, ItemPath(other) is { } path
                        ? $"Write-VmSplice writes byte arrays, bytes and strings, not the file item '{path}'; to move a file's bytes, pipe it to Invoke-Splice or Invoke-Tee."
                        : $"Write-VmSplice writes byte arrays, bytes and strings, not {other.GetType().Name}; convert it first (for example with Out-String or [BitConverter]::GetBytes)."),
                    other);
                break;
        }
    }

    private void WriteText(string text)
    {
        FlushBytes();
        if (!_preambleWritten)
        {
            _preambleWritten = true;
            _writer!.Write(_encoding.Preamble);
        }

        _writer!.Write(_encoding.GetBytes(NoNewline ? text : text + "\n"));
    }

    private void FlushBytes()
    {
        if (_pendingBytes.WrittenCount > 0)
        {
            _writer!.Write(_pendingBytes.WrittenSpan);
            _pendingBytes.Clear();
        }
    }

    /// <summary>A failed write ends the command: later input cannot follow a gap.</summary>
    private void Fail(Exception e)
    {
        _writer?.Dispose();
        _writer = null;
        WriteItemError(e, Unwrap(Destination) ?? Pipe);
    }
}
