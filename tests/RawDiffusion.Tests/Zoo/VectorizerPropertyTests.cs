using CsCheck;
using RawDiffusion.Zoo;
using static RawDiffusion.Tests.Zoo.VectorizerReference;

namespace RawDiffusion.Tests.Zoo;

public class VectorizerPropertyTests
{
    sealed record LayoutCase(int[][] Shapes, bool ModelWise, int ChunkSize, int ExtraPadding, int Seed)
    {
        public TensorSpec[] Specs => Shapes.Select((shape, i) => new TensorSpec($"{i}.{(i % 2 == 0 ? "weight" : "bias")}", shape)).ToArray();

        public override string ToString() =>
            $"{(ModelWise ? $"model-wise +{ExtraPadding}" : $"layer-wise {ChunkSize}")}: {string.Join(" ", Specs.Select(s => s.ToString()))}";
    }

    static readonly Gen<LayoutCase> RandomCase =
        from shapes in Gen.Int[1, 6].Array[0, 3].Array[1, 5]
        from modelWise in Gen.Bool
        from chunkSize in Gen.Int[1, 40]
        from extraPadding in Gen.Int[0, 10]
        from seed in Gen.Int[0, 1_000_000]
        select new LayoutCase(shapes, modelWise, chunkSize, extraPadding, seed);

    [Fact]
    public void RandomLayoutsMatchTheNaiveMapRoundTripAndSerialize()
    {
        // CsCheck's own seed fixes only the first sample, so the cases come from a fixed PCG: the same 300 every run.
        var pcg = new PCG(stream: 11, seed: 20_250_105);
        for (int sample = 0; sample < 300; sample++)
        {
            var c = RandomCase.Generate(pcg, null, out _);
            var specs = c.Specs;
            int parameters = (int)specs.Sum(s => s.Numel);
            var layout = c.ModelWise ? WeightVectorizer.ModelWise(specs, parameters + c.ExtraPadding) : WeightVectorizer.LayerWise(specs, c.ChunkSize);
            var positions = c.ModelWise ? ModelWisePositions(specs, parameters + c.ExtraPadding) : LayerWisePositions(specs, c.ChunkSize);

            var tensors = RandomBits(specs, new Random(c.Seed));
            var vector = layout.Flatten(tensors);
            Assert.Equal(positions.Length, vector.Length);
            var padding = layout.PaddingMask();
            for (int i = 0; i < positions.Length; i++)
            {
                int expected = positions[i] is { } p ? BitConverter.SingleToInt32Bits(tensors[p.Tensor][p.Element]) : 0;
                Assert.True(expected == BitConverter.SingleToInt32Bits(vector[i]), $"{c}: position {i}");
                Assert.Equal(positions[i] is null, padding[i]);
            }
            AssertSameBits(tensors, layout.Unflatten(vector), specs);

            if (!c.ModelWise)
            {
                var chunks = ChunksOf(positions, c.ChunkSize);
                Assert.Equal(chunks, layout.Chunks.Select(k => (k.Tensor, k.Offset, k.Length)));
            }

            var parsed = WeightVectorizer.Parse(layout.ToJson(), "case");
            Assert.Equal(layout, parsed);
            Assert.Equal(layout.Segments, parsed.Segments);
        }
    }
}
