using System.IO;

namespace SpliceModule;

/// <summary>
/// A remote copy (Copy-SpliceItem -ToSession/-FromSession) that failed for a reason of its own:
/// the session, the far host, or the data connection. <see cref="ErrorId"/> is the error id scripts
/// see (RemoteNotLinux, DataConnectionLost, DataConnectionRefused, RecordAuthenticationFailed...).
/// </summary>
public sealed class RemoteCopyException : IOException
{
    public RemoteCopyException(string errorId, string message)
        : base(message)
    {
        ErrorId = errorId;
    }

    public string ErrorId { get; }

    /// <summary>The error category the far end gave the failure (a name of ErrorCategory), when it came from there.</summary>
    public string? Category { get; init; }
}
