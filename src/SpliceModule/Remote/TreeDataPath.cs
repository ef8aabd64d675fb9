using System;
using System.Net;
using System.Threading;

namespace SpliceModule.Transfer;

/// <summary>
/// One tree over one direct data connection, either way: the tree's counterpart of
/// <see cref="DataPath"/> (the same secret, keys, idle time-out and listener), with the stream
/// carried by <see cref="TreeWires"/>. Both ends of a copy call it, whichever host they run on.
/// </summary>
internal static class TreeDataPath
{
    public static void Receive(IncomingTree tree, RemoteCopyOptions options, DataListener listener, CancellationToken cancellation)
    {
        var wait = DataPath.WaitFor(cancellation);
        using var socket = listener.Accept(ChannelSecret.Parse(options.Secret, "secret"), wait);
        using var wire = TreeWires.Receiving(new SocketStream(socket, $"tcp://{socket.RemoteEndPoint}", wait), options);
        tree.ReceiveFrom(wire);
    }

    public static void Send(OutgoingTree tree, RemoteCopyOptions options, IPEndPoint to, CancellationToken cancellation, Action<long>? progress)
    {
        var stream = DataConnection.Connect(to, ChannelSecret.Parse(options.Secret, "secret"), DataPath.WaitFor(cancellation));
        using (stream.Socket)
        using (var wire = TreeWires.Sending(stream, options))
        {
            tree.SendTo(wire, cancellation, progress);
        }
    }
}
