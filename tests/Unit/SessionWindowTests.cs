using System.Collections;
using System.Collections.Generic;
using System.Linq;
using SpliceModule.Commands;
using Xunit;

namespace SpliceModule.Tests;

public sealed class SessionWindowTests
{
    private static IEnumerable<byte[]> Chunks(int count) => Enumerable.Range(0, count).Select(i => new[] { (byte)i });

    [Fact]
    public void SendsNoMoreChunksThanGrantedAndAnswersOnceAfterTheLast()
    {
        int finished = 0;
        Hashtable Finish()
        {
            finished++;
            return new Hashtable { ["Bytes"] = 6L };
        }

        using var sending = new SessionWindow.FarSender(Chunks(6), Finish);

        var first = sending.Granted(SessionWindow.Window).ToList();
        Assert.Equal(SessionWindow.Window, first.Count);
        Assert.All(first, item => Assert.IsType<byte[]>(item));

        var second = sending.Granted(1).ToList();
        Assert.Equal(new byte[] { 4 }, Assert.IsType<byte[]>(Assert.Single(second)));

        // Credit left over when the chunks run out carries the answer, and only once.
        var last = sending.Granted(3).ToList();
        Assert.Equal(2, last.Count);
        Assert.IsType<Hashtable>(last[1]);
        Assert.Empty(sending.Granted(5));
        Assert.Equal(1, finished);
    }
}
