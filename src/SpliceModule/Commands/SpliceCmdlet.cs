using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using SpliceModule.Interop;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// What every SpliceModule cmdlet shares: Ctrl+C as a cancellation token, the Linux-only guard,
/// and one mapping from engine exceptions to error records with stable ids.
/// </summary>
public abstract class SpliceCmdlet : PSCmdlet, IDisposable
{
    /// <summary>A KernelPipe or SpliceDescriptor as PowerShell may hand it over (wrapped in a PSObject).</summary>
    internal static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    /// <summary>
    /// Every element of nested arrays and lists, unwrapped and in order, as the pipeline would have
    /// unrolled them (<c>Close-SpliceDescriptor $pipes, $f</c>, <c>-InputObject $bytes, 'text'</c>);
    /// a lone value is itself. A <c>byte[]</c> or <c>char[]</c> stays whole: it is one block of data.
    /// </summary>
    internal static IEnumerable<object?> Unroll(object? value)
    {
        object? item = Unwrap(value);
        if (item is byte[] or char[] || LanguagePrimitives.GetEnumerable(item) is not { } elements)
        {
            yield return item;
            yield break;
        }

        foreach (object? element in elements)
        {
            foreach (object? inner in Unroll(element))
            {
                yield return inner;
            }
        }
    }

    /// <summary>
    /// The literal path of a file item given to a parameter that takes any object (a -Source, a
    /// -Pipe): what Get-Item or Get-ChildItem writes, or anything else but a string that carries a
    /// PSPath. PowerShell binds such an item to the [object] parameter by value before it would
    /// bind its PSPath to a -LiteralPath, so the cmdlet reads it as a file here, as Copy-Item and
    /// Get-Content do. Null for pipes, descriptors, strings and objects without a path.
    /// </summary>
    internal static string? ItemPath(object? value)
    {
        if (value is null || Unwrap(value) is KernelPipe or SpliceDescriptor or string)
        {
            return null;
        }

        var item = PSObject.AsPSObject(value);
        return item.BaseObject is FileSystemInfo info ? info.FullName
            : item.Properties["PSPath"]?.Value is string { Length: > 0 } path ? path
            : null;
    }

    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken Cancellation => _stopping.Token;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>PowerShell disposes a cmdlet when its pipeline ends, also after an error or Ctrl+C:
    /// the place to release descriptors and remove unfinished files.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stopping.Dispose();
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Ends the cmdlet with PlatformNotSupported where the kernel calls it needs do not exist.</summary>
    protected void RequireLinuxKernel()
    {
        if (KernelFeatures.LinuxKernel)
        {
            return;
        }

        string why = OperatingSystem.IsLinux()
            ? $"the Linux kernel calls are switched off by {KernelFeatures.DisableVariable}=1"
            : "it needs Linux's splice, tee and vmsplice calls";
        ThrowTerminatingError(new ErrorRecord(
            new PlatformNotSupportedException($"{MyInvocation.MyCommand.Name} is not available on this system: {why}."),
            "PlatformNotSupported",
            ErrorCategory.NotImplemented,
            null));
    }

    /// <summary>Says what of the source's metadata the copy did not get: privilege bits left off
    /// (a verbose note: that is the rule), and what the file system refused (a warning, as cp warns).</summary>
    internal void TellAbout(string destinationPath, MetadataReport metadata)
    {
        if (metadata.PrivilegeBitsDropped)
        {
            WriteVerbose($"'{destinationPath}' does not have its source's owner, so its setuid, setgid and sticky bits (and any security.capability attribute) were left off; -Preserve Ownership keeps them with the owner.");
        }

        if (metadata.Failure is { } failure)
        {
            WriteWarning(failure);
        }

        if (metadata.OwnershipRefused is { } refused)
        {
            WriteError(new ErrorRecord(new UnauthorizedAccessException(refused), "OwnershipNotPreserved", ErrorCategory.PermissionDenied, destinationPath));
        }
    }

    /// <summary>Reports one failed item and lets the others go on; Ctrl+C becomes a pipeline stop.</summary>
    protected void WriteItemError(Exception exception, object? target, string? errorId = null, ErrorCategory? category = null)
    {
        if (exception is OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }

        WriteError(new ErrorRecord(exception, errorId ?? ErrorIdFor(exception), category ?? CategoryFor(exception), target));
    }

    /// <summary>
    /// The one rule for what fails an item rather than the command: what the engine counts as an
    /// item's failure (<see cref="ItemFailure.IsExpected"/>), Ctrl+C (made a pipeline stop by
    /// <see cref="WriteItemError"/>), and what PowerShell says about one path or one input. Anything
    /// else is a bug and stays a terminating error rather than becoming a record.
    /// </summary>
    internal static bool IsItemError(Exception e) =>
        ItemFailure.IsExpected(e) || e is OperationCanceledException or ObjectDisposedException
            or System.Net.Sockets.SocketException or SessionStateException or NotFileSystemPathException
            or PSArgumentException or PSInvalidCastException or NotSupportedException;

    internal static string ErrorIdFor(Exception exception) => exception switch
    {
        SpliceRefusedException refused => refused.Reason.ToString(),
        TimeoutException => "Timeout",
        System.Net.Sockets.SocketException => "ConnectionFailed",
        ItemNotFoundException => "PathNotFound",
        System.Management.Automation.DriveNotFoundException => "DriveNotFound",
        NotFileSystemPathException => "NotFileSystemPath",
        ObjectDisposedException => "DescriptorClosed",
        SpliceException splice when splice.Errno == Errno.ENOENT => "PathNotFound",
        SpliceException splice when splice.Errno is Errno.EPIPE or Errno.ECONNRESET => "BrokenPipe",
        SpliceException splice when splice.Errno is Errno.EACCES or Errno.EPERM => "PermissionDenied",
        SpliceException => "SystemCallFailed",
        UnauthorizedAccessException => "PermissionDenied",
        _ => "SpliceFailed",
    };

    internal static ErrorCategory CategoryFor(Exception exception) => exception switch
    {
        SpliceRefusedException { Reason: Refusal.DestinationReadOnly } => ErrorCategory.PermissionDenied,
        SpliceRefusedException { Reason: Refusal.MethodNotSupported } => ErrorCategory.NotImplemented,
        SpliceRefusedException { Reason: Refusal.DescriptorClosed or Refusal.NoReader } => ErrorCategory.InvalidOperation,
        SpliceRefusedException => ErrorCategory.InvalidArgument,
        TimeoutException => ErrorCategory.OperationTimeout,
        System.Net.Sockets.SocketException => ErrorCategory.ConnectionError,
        ItemNotFoundException or System.Management.Automation.DriveNotFoundException => ErrorCategory.ObjectNotFound,
        NotFileSystemPathException => ErrorCategory.InvalidArgument,
        ObjectDisposedException => ErrorCategory.InvalidOperation,
        UnauthorizedAccessException => ErrorCategory.PermissionDenied,
        SpliceException splice => splice.Errno switch
        {
            Errno.ENOENT or Errno.ENOTDIR => ErrorCategory.ObjectNotFound,
            Errno.EACCES or Errno.EPERM or Errno.EROFS => ErrorCategory.PermissionDenied,
            Errno.ENOSPC or Errno.EDQUOT or Errno.ENOMEM => ErrorCategory.ResourceUnavailable,
            Errno.EINVAL or Errno.EBADF or Errno.ESPIPE => ErrorCategory.InvalidArgument,
            Errno.EPIPE or Errno.ENOTCONN or Errno.ECONNRESET => ErrorCategory.ConnectionError,
            _ => ErrorCategory.WriteError,
        },
        IOException => ErrorCategory.WriteError,
        _ => ErrorCategory.NotSpecified,
    };
}
