using System;
using System.Net;

namespace SpliceModule.Transfer;

/// <summary>
/// The addresses of the SSH connection a PSSession runs over, from $SSH_CONNECTION
/// ("client-address client-port server-address server-port", set by sshd for the subsystem): a
/// data listener binds to this connection's own address on its host and nowhere else.
/// </summary>
internal static class SshConnection
{
    public const string Variable = "SSH_CONNECTION";

    /// <summary>On the remote host: the address the copying host reached it at.</summary>
    public static IPAddress ThisHost() => Parse(Environment.GetEnvironmentVariable(Variable)).Server;

    public static (IPAddress Client, IPAddress Server) Parse(string? value)
    {
        string[] parts = (value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 4 && IPAddress.TryParse(parts[0], out var client) && IPAddress.TryParse(parts[2], out var server))
        {
            return (client, server);
        }

        throw new RemoteCopyException("DirectConnectionUnavailable", $"This session does not run over SSH (no {Variable}), so no address is known to listen on for a direct data connection; -Transport Session sends the bytes through the PSSession instead.");
    }
}
