using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using SpliceModule.Interop;
using SpliceModule.Transfer;
using Xunit;

namespace SpliceModule.Tests;

public sealed class ReceiveBatchingTests : IDisposable
{
    private readonly Socket sender;
    private readonly Socket receiver;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle devNull = Sys.Open("/dev/null", Flags.O_WRONLY | Flags.O_CLOEXEC);

    public ReceiveBatchingTests()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        sender.Connect((IPEndPoint)listener.LocalEndpoint);
        receiver = listener.AcceptSocket();
        receiver.Blocking = false;
    }

    public void Dispose()
    {
        sender.Dispose();
        receiver.Dispose();
        devNull.Dispose();
    }

    private int LowWater => Sys.GetSocketOption(receiver.SafeHandle, Flags.SOL_SOCKET, Flags.SO_RCVLOWAT);

    private ByteTransfer ReceiveTransfer(long limit = ByteTransfer.ToEnd) =>
        new(receiver.SafeHandle, FileKind.Socket, "tcp", devNull, FileKind.CharacterDevice, "/dev/null") { Limit = limit };

    [Fact]
    public void ArmsAfterABacklogAndNeverAsksForMoreThanTheTransferExpects()
    {
        using var batching = ReceiveBatching.For(ReceiveTransfer())!;
        Assert.NotNull(batching);
        Assert.False(batching.IsArmed);

        batching.Observe(ReceiveBatching.BulkBytes - 1, ByteTransfer.ToEnd);
        Assert.Equal(1, LowWater);

        batching.Observe(ReceiveBatching.BulkBytes, ByteTransfer.ToEnd);
        Assert.Equal(ReceiveBatching.BatchBytes, LowWater);

        batching.Observe(10, 1000);
        Assert.Equal(1000, LowWater);

        batching.Dispose();
        Assert.Equal(1, LowWater);
    }

    [Fact]
    public void AnUnfilledBatchGivesWayToWhatIsQueued()
    {
        using var batching = ReceiveBatching.For(ReceiveTransfer())!;
        batching.Observe(ReceiveBatching.BulkBytes, ByteTransfer.ToEnd);
        sender.Send(new byte[10]);

        Assert.False(batching.WaitForBatch());
        Assert.False(batching.IsArmed);
        Assert.Equal(1, LowWater);
        Assert.True(new ReadinessWait(default).Until(receiver.SafeHandle, Flags.POLLIN, "tcp"));
    }

    [Fact]
    public void AFullBatchIsReadyAtOnce()
    {
        using var batching = ReceiveBatching.For(ReceiveTransfer())!;
        batching.Observe(ReceiveBatching.BulkBytes, 4096);
        sender.Send(new byte[4096]);

        Assert.True(batching.WaitForBatch());
        Assert.True(batching.IsArmed);
    }

    [Fact]
    public async Task ASpliceFromTheSocketLeavesItsLowWaterMarkAsItWas()
    {
        const int size = 4 * 1024 * 1024;
        var sending = Task.Run(() => sender.Send(new byte[size]));
        var transfer = ReceiveTransfer(size);

        Assert.Null(new SpliceStrategy().TryCopy(transfer));
        await sending;

        Assert.Equal(size, transfer.Copied);
        Assert.Equal(1, LowWater);
    }

    [Fact]
    public void UnixSocketsGoWithoutBatching()
    {
        using var scratch = new Scratch();
        var (one, other) = (new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified), (Socket?)null);
        string path = scratch.PathOf("batching.sock");
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            one.Connect(new UnixDomainSocketEndPoint(path));
            other = listener.Accept();
            var transfer = new ByteTransfer(other.SafeHandle, FileKind.Socket, "unix", devNull, FileKind.CharacterDevice, "/dev/null");
            Assert.Null(ReceiveBatching.For(transfer));
        }
        finally
        {
            one.Dispose();
            other?.Dispose();
        }
    }
}
