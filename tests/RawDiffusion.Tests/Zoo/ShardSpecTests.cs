using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Zoo;

public class ShardSpecTests
{
    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("2/4", 2, 4)]
    [InlineData(" 3 / 3 ", 3, 3)]
    public void ParsesIndexAndCount(string text, int index, int count)
    {
        var shard = ShardSpec.Parse(text);
        Assert.Equal((index, count), (shard.Index, shard.Count));
        Assert.Equal($"{index}/{count}", shard.ToString());
        Assert.Equal($"shards/shard-{index}-of-{count}.json", shard.ManifestPath);
    }

    [Theory]
    [InlineData("0/3", "count from 1")]
    [InlineData("4/3", "1..3")]
    [InlineData("1/0", "at least 1")]
    [InlineData("x", "i/n")]
    [InlineData("1/2/3", "i/n")]
    [InlineData("-1/2", "i/n")]
    [InlineData("", "i/n")]
    public void RejectsBadTextWithAReason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ShardSpec.Parse(text));
        Assert.Contains($"\"{text}\"", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void ShardsTakeEveryJobExactlyOnce()
    {
        var shards = Enumerable.Range(1, 3).Select(i => new ShardSpec(i, 3)).ToArray();
        for (int job = 0; job < 10; job++)
        {
            Assert.Single(shards, s => s.Takes(job));
            Assert.True(shards[job % 3].Takes(job));
        }
    }
}
