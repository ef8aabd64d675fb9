using System.Collections;
using System.Collections.Generic;
using System.Linq;
using SpliceModule.Commands;
using Xunit;

namespace SpliceModule.Tests;

public sealed class SessionWindowTests
{
    private static IEnumerator<byte[]> Chunks(int count) => Enumerable.Range(0, count).Select(i => new[] { (byte)i }).GetEnumerator();

    [Fact]
    public void SendsNoMoreChunksThanGrantedAndAnswersOnceAfterTheLast()
    {
        var chunks = Chunks(6);
        bool ended = false;
        int finished = 0;
        Hashtable Finish()
        {
            finished++;
            return new Hashtable { ["Bytes"] = 6L };
        }

        var first = SessionWindow.Granted(chunks, SessionWindow.Window, Finish, ref ended).ToList();
        Assert.Equal(SessionWindow.Window, first.Count);
        Assert.All(first, item => Assert.IsType<byte[]>(item));
        Assert.False(ended);

        var second = SessionWindow.Granted(chunks, 1, Finish, ref ended).ToList();
        Assert.Equal(new byte[] { 4 }, Assert.IsType<byte[]>(Assert.Single(second)));

        // Credit left over when the chunks run out carries the answer, and only once.
        var last = SessionWindow.Granted(chunks, 3, Finish, ref ended).ToList();
        Assert.Equal(2, last.Count);
        Assert.IsType<Hashtable>(last[1]);
        Assert.True(ended);
        Assert.Empty(SessionWindow.Granted(chunks, 5, Finish, ref ended));
        Assert.Equal(1, finished);
    }
}
