using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;

namespace SpliceModule.Commands;

/// <summary>
/// The Session transport's flow control, both ends of it. The receiving end grants the sending
/// end credit for <see cref="Window"/> chunks at the start and for one more each time it has
/// consumed a chunk; the sending end sends a chunk only against credit. So at most a window of
/// chunks is ever queued in the session's channel (the SSH window, the sockets, a shaper's
/// queue): a stop, and the far script's end, wait behind that much at most instead of
/// behind everything the sender could write ahead on a slow link.
/// FromSession: the copying host writes credits (a count) into the far script's pipeline input
/// (<see cref="Receiver"/>), the far end sends its chunks as output against them
/// (<see cref="FarSender"/>), then its answer. ToSession: the copying host sends chunks as pipeline
/// input (<see cref="Sender"/>), the far end answers <see cref="Credit"/> for each chunk it took,
/// or its failure.
/// </summary>
internal static class SessionWindow
{
    /// <summary>Chunks in flight at most: enough that the next is on its way while one is taken
    /// (a fast link is not slowed), few enough that a slow link drains them within a second.</summary>
    public const int Window = 4;

    /// <summary>What the far end answers for each chunk it took (ToSession).</summary>
    public const int Credit = 1;

    /// <summary>The far end's sending half (FromSession): for each credit granted, the next chunk,
    /// and once they have all gone, the far end's answer (exactly once).</summary>
    internal sealed class FarSender : IDisposable
    {
        private readonly IEnumerator<byte[]> _chunks;
        private readonly Func<Hashtable> _finish;
        private bool _ended;

        /// <param name="chunks">The data in chunks, taken only as credit comes.</param>
        /// <param name="finish">The answer that follows the last chunk.</param>
        public FarSender(IEnumerable<byte[]> chunks, Func<Hashtable> finish)
        {
            _chunks = chunks.GetEnumerator();
            _finish = finish;
        }

        public IEnumerable<object> Granted(int credit)
        {
            var granted = new List<object>(Math.Min(credit, Window));
            for (int i = 0; i < credit && !_ended; i++)
            {
                if (_chunks.MoveNext())
                {
                    granted.Add(_chunks.Current);
                    continue;
                }

                _ended = true;
                granted.Add(_finish());
            }

            return granted;
        }

        public void Dispose() => _chunks.Dispose();
    }

    /// <summary>The copying host's sending half (ToSession): each chunk goes into the far script's
    /// input once there is credit for it; Ctrl+C is honoured while waiting for credit.</summary>
    internal sealed class Sender
    {
        private readonly RemoteInvocation _far;
        private readonly RemoteHost _host;
        private readonly CancellationToken _cancellation;
        private int _credit = Window;

        public Sender(RemoteInvocation far, RemoteHost host, CancellationToken cancellation)
        {
            _far = far;
            _host = host;
            _cancellation = cancellation;
        }

        public void Send(byte[] chunk)
        {
            while (_credit == 0)
            {
                _credit += CreditFrom(_far.Next(_cancellation));
            }

            _far.Input!.Add(chunk);
            _credit--;
        }

        /// <summary>Ends the input and returns the far end's answer (after the credits still owed).</summary>
        public object Complete()
        {
            _far.Input!.Complete();
            object answer;
            while ((answer = _far.Next(_cancellation)) is int)
            {
            }

            return answer;
        }

        private int CreditFrom(object answer)
        {
            if (answer is int credit)
            {
                return credit;
            }

            RemoteFileCopy.Succeeded(answer, _host);
            throw new RemoteCopyException("RemoteScriptFailed", $"The remote part of the copy on '{_host.ComputerName}' answered before the end of the data.");
        }
    }

    /// <summary>The copying host's receiving half (FromSession): grants the window, then a credit
    /// for each chunk once the next one is asked for (the previous has been written by then).</summary>
    internal sealed class Receiver
    {
        private readonly RemoteInvocation _far;
        private readonly CancellationToken _cancellation;
        private bool _owed;
        private object? _answer;

        public Receiver(RemoteInvocation far, CancellationToken cancellation)
        {
            _far = far;
            _cancellation = cancellation;
            _far.Input!.Add(Window);
        }

        /// <summary>The next chunk, or null once the far end has answered instead.</summary>
        public byte[]? Next()
        {
            if (_answer is not null)
            {
                return null;
            }

            if (_owed)
            {
                _far.Input!.Add(1);
            }

            object next = _far.Next(_cancellation);
            if (next is byte[] chunk)
            {
                _owed = true;
                return chunk;
            }

            _answer = next;
            return null;
        }

        /// <summary>The far end's answer: a reader that stopped at the stream's own end has not
        /// asked past its last chunk, so its credit goes now and the answer follows it. The far
        /// script's input ends here.</summary>
        public object Answer()
        {
            while (Next() is not null)
            {
            }

            _far.Input!.Complete();
            return _answer!;
        }
    }
}
