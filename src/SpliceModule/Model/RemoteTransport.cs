namespace SpliceModule;

/// <summary>How Copy-SpliceItem -ToSession/-FromSession carries the bytes (-Transport).</summary>
public enum RemoteTransport
{
    /// <summary>A direct TCP connection, every record authenticated and encrypted with AES-256-GCM under fresh keys.</summary>
    Encrypted,

    /// <summary>A direct TCP connection authenticated by a one-time secret, unencrypted (sendfile and splice on both ends): for trusted networks.</summary>
    Plain,

    /// <summary>Through the PSSession itself, binary and pipelined: where no direct connection can be made.</summary>
    Session,
}
