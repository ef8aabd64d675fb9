using System.IO;
using Xunit;

namespace SpliceModule.Tests;

/// <summary>The leak check the receiving tests rely on can see a leak.</summary>
public class ScratchTests
{
    [Fact]
    public void DescriptorsInsideSeesAFileAndAnUnlinkedOneHeldOpen()
    {
        using var scratch = new Scratch();
        Assert.Empty(scratch.DescriptorsInside());
        using (var held = File.OpenWrite(scratch.PathOf("held")))
        {
            Assert.Equal(scratch.PathOf("held"), Assert.Single(scratch.DescriptorsInside()));
            File.Delete(scratch.PathOf("held"));
            Assert.StartsWith(scratch.PathOf("held"), Assert.Single(scratch.DescriptorsInside()));
        }

        Assert.Empty(scratch.DescriptorsInside());
    }
}
