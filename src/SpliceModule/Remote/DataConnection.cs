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

    /// <summary>The word after the address:port of a receiver that takes one data connection only.</summary>
    private const string OneStream = "one-stream";

    /// <summary>What a listening receiver tells the sender: where to connect, and whether it takes
    /// the file on one connection only (a FIFO or device written in order), whatever the stripes
    /// the options allowed.</summary>
    public static string Offer(IPEndPoint endPoint, bool oneStream) => oneStream ? $"{endPoint} {OneStream}" : endPoint.ToString();

    /// <summary>The sender's reading of <see cref="Offer"/>.</summary>
    public static (IPEndPoint EndPoint, bool OneStream) ParseOffer(string offer) =>
        offer.EndsWith(" " + OneStream, StringComparison.Ordinal) ? (Parse(offer[..^(OneStream.Length + 1)]), true) : (Parse(offer), false);

    public static IPEndPoint Parse(string endPoint) =>
        IPEndPoint.TryParse(endPoint, out var parsed) ? parsed : throw new ArgumentException($"'{endPoint}' is not an address:port.");
}
