using System;
using System.Net;
using System.Threading;

namespace SpliceModule.Transfer;

/// <summary>
/// One file over a direct data connection, either way, with the transport asked for: the one place
/// that knows Plain sends raw bytes (sendfile out, splice in) and Encrypted sealed records. Both
/// ends of a copy call it, whichever host they run on. A large file goes on several connections at
/// once (<see cref="StripedDataPath"/>), as many as <see cref="StripesFor"/> says on both ends.
/// </summary>
internal static class DataPath
{
    /// <summary>How long a data connection may stay quiet before the copy fails (a link that went
    /// down, a peer that was killed without its socket closing).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Data bytes a stripe carries at least: below this a connection more costs more than
    /// it gains.</summary>
    public const long MinStripeBytes = 32L * 1024 * 1024;

    /// <summary>Stripes the far side accepts at most, whatever the options say.</summary>
    public const int MaxStripes = 8;

    /// <summary>Record direction of file bytes (sender to receiver).</summary>
    internal const uint ToReceiver = 1;

    public static ReadinessWait WaitFor(CancellationToken cancellation) => new(cancellation, IdleTimeout);

    /// <summary>The stripes the copying host offers: one per processor (the sealing, opening and
    /// page-cache writing of each runs on its own core), at most four.</summary>
    public static int StripesOffered => Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>How many connections this file goes on: a pure function of what the header
    /// announces and the options allow, so that both hosts count alike.</summary>
    /// <remarks>
    /// Encrypted only: Plain on one connection already receives on one core while the other
    /// sends, as fast as the wire (bench/results/NOTES.md).</remarks>
    public static int StripesFor(RemoteFileHeader header, RemoteCopyOptions options) =>
        options.Transport != RemoteTransport.Encrypted ? 1 : (int)Math.Clamp(header.DataBytes / MinStripeBytes, 1, Math.Clamp(options.Stripes, 1, MaxStripes));

    public static FileCopyResult Receive(IncomingFile file, RemoteCopyOptions options, DataListener listener, CancellationToken cancellation)
    {
        int stripes = StripesFor(file.Header, options);
        if (stripes > 1)
        {
            StripedDataPath.Receive(file, options, listener, stripes, cancellation);
            return file.Commit();
        }

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
        int stripes = StripesFor(file.Header, options);
        if (fan is null && stripes > 1)
        {
            return StripedDataPath.Send(file, options, to, stripes, cancellation, progress);
        }

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
