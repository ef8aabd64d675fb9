using System;
using System.Net;
using System.Net.Sockets;

namespace SpliceModule.Transfer;

/// <summary>The sending end of a data connection: connects to the receiver's listener and presents
/// the secret before anything else.</summary>
internal static class DataConnection
{
    public static SocketStream Connect(IPEndPoint endPoint, ReadOnlySpan<byte> secret, ReadinessWait wait)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        string display = $"tcp://{endPoint}";
        try
        {
            using (var deadline = wait.LinkedWithTimeout())
            {
                try
                {
                    socket.ConnectAsync(endPoint, deadline.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (!wait.Cancellation.IsCancellationRequested)
                {
                    throw new RemoteCopyException("DataConnectionTimeout", $"Could not connect to {display}: a firewall may block direct connections between these hosts; -Transport Session sends the bytes through the PSSession instead.");
                }
                catch (SocketException e)
                {
                    throw new RemoteCopyException("DataConnectionRefused", $"Could not connect to {display} ({e.SocketErrorCode}): a firewall may block direct connections between these hosts; -Transport Session sends the bytes through the PSSession instead.");
                }
            }

            var stream = new SocketStream(socket, display, wait);
            stream.WriteAll(secret);
            return stream;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static IPEndPoint Parse(string endPoint) =>
        IPEndPoint.TryParse(endPoint, out var parsed) ? parsed : throw new ArgumentException($"'{endPoint}' is not an address:port.");
}
