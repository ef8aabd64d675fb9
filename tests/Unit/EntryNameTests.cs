using System.Text;
using SpliceModule.Interop;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>A name's path in a directory, as messages and results show it.</summary>
public class EntryNameTests
{
    [Theory]
    [InlineData("/tmp", "file", "/tmp/file")]
    [InlineData("/", "etc", "/etc")]
    [InlineData("dir/", "a b", "dir/a b")]
    [InlineData("", "x", "/x")]
    [InlineData("/srv/données", "résumé.txt", "/srv/données/résumé.txt")]
    [InlineData("/d", "日本語", "/d/日本語")]
    public void InJoinsWithOneSlash(string directory, string name, string expected) =>
        Assert.Equal(expected, EntryName.From(name).In(directory));

    [Fact]
    public void BytesThatAreNotUtf8ReadAsToStringReadsThem()
    {
        // Latin-1 "café" and a lone continuation byte: names a directory can hold that are not UTF-8.
        foreach (var bytes in new[] { new byte[] { 0x63, 0x61, 0x66, 0xE9 }, new byte[] { 0x80 }, new byte[] { 0xF0, 0x9F, 0x98 } })
        {
            var name = EntryName.From(bytes);
            Assert.Equal("/d/" + name, name.In("/d"));
            Assert.Contains('\uFFFD', name.In("/d"));
        }

        Assert.Equal("/d/" + Encoding.UTF8.GetString(new byte[] { 0xE2, 0x82, 0xAC }), EntryName.From(new byte[] { 0xE2, 0x82, 0xAC }).In("/d"));
    }
}
