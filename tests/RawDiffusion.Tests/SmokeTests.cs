namespace RawDiffusion.Tests;

public class SmokeTests
{
    [Fact]
    public void AssemblyLoads() => Assert.NotNull(typeof(RawDiffusion.Tests.SmokeTests).Assembly);
}
