namespace RawDiffusion.Tests.Core;

public class RandomTests
{
    [Fact]
    public void PhiloxMatchesTheRandom123KnownAnswers()
    {
        // Known-answer vectors from the Random123 distribution (kat_vectors, philox4x32 10 rounds).
        Span<uint> o = stackalloc uint[4];
        Philox.Block(0, 0, 0, 0, 0, 0, o);
        Assert.Equal(new uint[] { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 }, o.ToArray());
        Philox.Block(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, o);
        Assert.Equal(new uint[] { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd }, o.ToArray());
        Philox.Block(0xa4093822, 0x299f31d0, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, o);
        Assert.Equal(new uint[] { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 }, o.ToArray());
    }

    [Fact]
    public void SameSeedGivesSameTensorsAndMomentsAreRight()
    {
        var a = Tensor.Randn([100_000], new Generator(42)).ToFloat64Array();
        var b = Tensor.Randn([100_000], new Generator(42)).ToFloat64Array();
        Assert.Equal(a, b);
        Assert.InRange(a.Average(), -0.02, 0.02);
        Assert.InRange(a.Select(v => v * v).Average(), 0.98, 1.02);
        var u = Tensor.Rand([100_000], new Generator(7), 2, 5).ToFloat64Array();
        Assert.InRange(u.Min(), 2, 5);
        Assert.InRange(u.Max(), 2, 5);
        Assert.InRange(u.Average(), 3.48, 3.52);
        var g = new Generator(1);
        Assert.NotEqual(Tensor.Rand([8], g).ToFloat64Array(), Tensor.Rand([8], g).ToFloat64Array());
    }

    [Fact]
    public void HostStreamsFollowTheSeedAndTheCounter()
    {
        // Neighbouring small seeds differ only in low bits; each must still give its own shuffle.
        var permutations = Enumerable.Range(0, 50).Select(s => string.Join(",", new Generator((ulong)s).Permutation(20))).ToArray();
        Assert.Equal(permutations.Length, permutations.Distinct().Count());
        Assert.Equal(new Generator(3).Permutation(20), new Generator(3).Permutation(20));
        var g = new Generator(3);
        Assert.NotEqual(g.Permutation(20), g.Permutation(20));
    }
}

public class DefaultDTypeTests
{
    [Fact]
    public void NewTensorsUseTheAmbientDefaultUntilTheRegionEnds()
    {
        Assert.Equal(DType.Float32, Tensor.Zeros([2]).DType);
        using (DefaultDType.Use(DType.Float64))
        {
            Assert.Equal(DType.Float64, Tensor.Zeros([2]).DType);
            Assert.Equal(DType.Float64, Tensor.Randn([2]).DType);
            Assert.Equal(DType.Float32, Tensor.Zeros([2], DType.Float32).DType);
        }
        Assert.Equal(DType.Float32, Tensor.Ones([2]).DType);
        Assert.Throws<ArgumentException>(() => DefaultDType.Use(DType.Int32));
    }
}
