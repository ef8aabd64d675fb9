using System.IO;

namespace SpliceModule;

/// <summary>-Verify found that the copy differs from its source; the destination was not replaced.</summary>
public sealed class CopyVerificationException : IOException
{
    public CopyVerificationException(string message, string sourceHash, string destinationHash)
        : base(message)
    {
        SourceHash = sourceHash;
        DestinationHash = destinationHash;
    }

    public string SourceHash { get; }

    public string DestinationHash { get; }
}
