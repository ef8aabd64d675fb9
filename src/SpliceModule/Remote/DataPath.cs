using System;
using System.Net;
using System.Threading;

namespace SpliceModule.Transfer;

/// <summary>
/// One file over a direct data connection, either way, with the transport asked for: the one place
/// that knows Plain sends raw bytes (sendfile out, splice in) and Encrypted sealed records. Both
/// ends of a copy call it, whichever host they run on.
/// </summary>
internal static class DataPath
{
    /// <summary>How long a data connection may stay quiet before the copy fails (a link that went
    /// down, a peer that was killed without its socket closing).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Record direction of file bytes (sender to receiver).</summary>
    private const uint ToReceiver = 1;

    public static ReadinessWait WaitFor(CancellationToken cancellation) => new(cancellation, IdleTimeout);

    public static FileCopyResult Receive(IncomingFile file, RemoteCopyOptions options, DataListener listener, CancellationToken cancellation)
    {
        var wait = WaitFor(cancellation);
        using var socket = listener.Accept(ChannelSecret.Parse(options.Secret, "secret"), wait);
        var stream = new SocketStream(socket, $"tcp://{socket.RemoteEndPoint}", wait);
        if (options.Transport == RemoteTransport.Plain)
        {
            file.ReceiveFrom(stream);
        }
        else
        {
            using var records = new SealedRecords(stream, ChannelSecret.Parse(options.Key, "key"), ToReceiver);
            file.ReceiveFrom(records);
        }

        return file.Commit();
    }

    /// <summary>The sending end: connects to the receiver and sends the file, Plain by sendfile,
    /// Encrypted in records sealed once by <paramref name="fan"/> for every host it sends to (or by
    /// a sealer of this connection's own when null).</summary>
    public static long Send(OutgoingFile file, RemoteCopyOptions options, IPEndPoint to, CancellationToken cancellation, Action<long>? progress, SealedFanOut? fan = null, int member = 0)
    {
        var stream = DataConnection.Connect(to, ChannelSecret.Parse(options.Secret, "secret"), WaitFor(cancellation));
        using (stream.Socket)
        {
            if (options.Transport == RemoteTransport.Plain)
            {
                return file.SendTo(stream, progress);
            }

            return fan is not null
                ? fan.Send(member, stream, progress)
                : SealedFanOut.SendAlone(file, ChannelSecret.Parse(options.Key, "key"), stream, cancellation, progress);
        }
    }
}
