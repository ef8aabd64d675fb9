using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace SpliceModule.Transfer;

/// <summary>
/// One large Encrypted file on several data connections at once, either way: the data stream
/// cut into consecutive ranges (<see cref="DataExtents.Stripe"/>), each sent on a connection of
/// its own by its own thread and written at its offsets into the one temporary file, so that the
/// work of each end (sealing, opening, writing into the page cache) runs on several cores. Every
/// connection has its own secret and its own key (<see cref="ChannelSecret.ForStripe"/>:
/// Remote/README.md argues why no key and nonce pair repeats). The first stripe that fails stops
/// the others (within a wait slice) and fails the copy, so the receiver commits nothing; progress
/// is reported on the calling thread.
/// </summary>
internal static class StripedDataPath
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

    /// <summary>Takes one connection per stripe (each presenting its stripe's secret) and
    /// receives every stripe into <paramref name="file"/>; the caller commits it.</summary>
    public static void Receive(IncomingFile file, RemoteCopyOptions options, DataListener listener, int stripes, CancellationToken cancellation)
    {
        byte[] secret = ChannelSecret.Parse(options.Secret, "secret");
        var sockets = listener.AcceptAll(Enumerable.Range(0, stripes).Select(i => ChannelSecret.ForStripe(secret, "secret", i)).ToArray(), DataPath.WaitFor(cancellation));
        try
        {
            Run(stripes, cancellation, (stripe, stop) =>
            {
                var stream = new SocketStream(sockets[stripe], $"tcp://{sockets[stripe].RemoteEndPoint}", DataPath.WaitFor(stop));
                var pieces = DataExtents.Stripe(file.Header.Extents, file.Header.Size, stripe, stripes);
                using var records = new SealedRecords(stream, KeyOf(options, stripe), DataPath.ToReceiver);
                file.ReceiveFrom(records, pieces);
                return 0;
            }, () => file.Request.Progress?.Invoke(file.Received));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>Connects once per stripe and sends each stripe on its own connection, sealed
    /// record by record on the stripe's thread. Returns the bytes sent.</summary>
    public static long Send(OutgoingFile file, RemoteCopyOptions options, IPEndPoint to, int stripes, CancellationToken cancellation, Action<long>? progress)
    {
        byte[] secret = ChannelSecret.Parse(options.Secret, "secret");
        long[] sent = new long[stripes];
        return Run(stripes, cancellation, (stripe, stop) =>
        {
            var stream = DataConnection.Connect(to, ChannelSecret.ForStripe(secret, "secret", stripe), DataPath.WaitFor(stop));
            using (stream.Socket)
            {
                var pieces = file.Pieces(stripe, stripes);
                using var records = new SealedRecords(stream, KeyOf(options, stripe), DataPath.ToReceiver);
                foreach (var chunk in file.Chunks(SealedRecords.MaxRecord, stop, pieces))
                {
                    records.Send(chunk.Span);
                    Volatile.Write(ref sent[stripe], sent[stripe] + chunk.Length);
                }

                records.Send(ReadOnlySpan<byte>.Empty);
                return sent[stripe];
            }
        }, () => progress?.Invoke(Enumerable.Range(0, stripes).Sum(i => Volatile.Read(ref sent[i])))).Sum();
    }

    private static byte[] KeyOf(RemoteCopyOptions options, int stripe) =>
        ChannelSecret.ForStripe(ChannelSecret.Parse(options.Key, "key"), "key", stripe);

    /// <summary>Runs every stripe on a thread of its own while the calling thread reports; the
    /// first failure stops the others and is thrown once all have ended.</summary>
    private static long[] Run(int stripes, CancellationToken cancellation, Func<int, CancellationToken, long> stripe, Action report)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Exception? first = null;
        var running = Enumerable.Range(0, stripes).Select(i => Task.Factory.StartNew(() =>
        {
            try
            {
                return stripe(i, stop.Token);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref first, e, null);
                stop.Cancel();
                throw;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        // A continuation that never faults, to wait on without an AggregateException.
        var all = Task.WhenAll(running).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        try
        {
            while (!all.Wait(Tick))
            {
                report();
            }

            report();
        }
        finally
        {
            // Reporting throws once the pipeline stops (Ctrl+C): stop the stripes and let them close.
            stop.Cancel();
            all.Wait(TimeSpan.FromSeconds(5));
        }

        if (first is not null)
        {
            // A stripe stopped because another failed says less than the one that failed first.
            ExceptionDispatchInfo.Throw(cancellation.IsCancellationRequested ? new OperationCanceledException(cancellation) : first);
        }

        return running.Select(r => r.Result).ToArray();
    }
}
