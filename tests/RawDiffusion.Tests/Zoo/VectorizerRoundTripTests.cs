using RawDiffusion.Zoo;
using static RawDiffusion.Tests.Zoo.VectorizerReference;

namespace RawDiffusion.Tests.Zoo;

public class VectorizerRoundTripTests
{
    public static TheoryData<string> Architectures => new(TargetArchitecture.BuiltIn.Keys);

    static readonly int[] ChunkSizes = [1, 7, 64, 1000, 100_000];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void ModelWiseRoundTripsEveryBitAndMatchesNaiveConcatenation(string name)
    {
        var specs = TargetArchitecture.BuiltIn[name].Tensors;
        long parameters = specs.Sum(s => s.Numel);
        var random = new Random(name.Length);
        foreach (int? padTo in new int?[] { null, (int)parameters, (int)parameters + 13 })
        {
            var layout = WeightVectorizer.ModelWise(specs, padTo);
            var tensors = RandomBits(specs, random);
            var vector = layout.Flatten(tensors);

            var positions = ModelWisePositions(specs, padTo);
            Assert.Equal(positions.Length, layout.VectorLength);
            Assert.Equal(parameters, layout.ParameterCount);
            for (int i = 0; i < positions.Length; i++)
            {
                int expected = positions[i] is { } p ? BitConverter.SingleToInt32Bits(tensors[p.Tensor][p.Element]) : 0;
                Assert.Equal(expected, BitConverter.SingleToInt32Bits(vector[i]));
            }
            AssertSameBits(tensors, layout.Unflatten(vector), specs);
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void LayerWiseRoundTripsEveryBitAndMatchesNaiveChunking(string name)
    {
        var specs = TargetArchitecture.BuiltIn[name].Tensors;
        var random = new Random(name.Length + 1);
        foreach (int chunkSize in ChunkSizes)
        {
            var layout = WeightVectorizer.LayerWise(specs, chunkSize);
            var tensors = RandomBits(specs, random);
            var vector = layout.Flatten(tensors);

            var positions = LayerWisePositions(specs, chunkSize);
            Assert.Equal(positions.Length, layout.VectorLength);
            Assert.Equal(layout.ChunkCount * chunkSize, layout.VectorLength);
            Assert.Equal(specs.Sum(s => (s.Numel + chunkSize - 1) / chunkSize), layout.ChunkCount);
            for (int i = 0; i < positions.Length; i++)
            {
                int expected = positions[i] is { } p ? BitConverter.SingleToInt32Bits(tensors[p.Tensor][p.Element]) : 0;
                Assert.Equal(expected, BitConverter.SingleToInt32Bits(vector[i]));
            }
            AssertSameBits(tensors, layout.Unflatten(vector), specs);
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void TrainedNetworkWeightsSurviveTheRoundTripIntoALoadableNetwork(string name)
    {
        var architecture = TargetArchitecture.BuiltIn[name];
        using var scope = DisposeScope.Enter();
        using var model = architecture.Build(new Generator(5));
        var tensors = TargetArchitecture.ReadTensors(model);
        int padTo = (int)architecture.ParameterCount + 5;
        foreach (var layout in new[] { WeightVectorizer.ModelWise(architecture.Tensors, padTo), WeightVectorizer.LayerWise(architecture.Tensors, 33) })
        {
            using var loaded = architecture.Load(layout.Unflatten(layout.Flatten(tensors)));
            AssertSameBits(tensors, TargetArchitecture.ReadTensors(loaded), architecture.Tensors);
        }
    }

    [Fact]
    public void ChunkDescriptorsMatchTheNaiveChunking()
    {
        foreach (var architecture in TargetArchitecture.BuiltIn.Values)
            foreach (int chunkSize in ChunkSizes)
            {
                var specs = architecture.Tensors;
                var layout = WeightVectorizer.LayerWise(specs, chunkSize);
                var expected = ChunksOf(LayerWisePositions(specs, chunkSize), chunkSize);
                Assert.Equal(expected.Count, layout.Chunks.Count);
                for (int c = 0; c < expected.Count; c++)
                {
                    var chunk = layout.Chunks[c];
                    Assert.Equal(c, chunk.Index);
                    Assert.Equal(c * chunkSize, chunk.VectorOffset);
                    Assert.Equal(expected[c], (chunk.Tensor, chunk.Offset, chunk.Length));
                    Assert.Equal(chunk.Tensor, specs[chunk.TensorIndex].Name);
                }
            }
    }

    [Fact]
    public void FlattenManyStacksTheModelVectorsRowByRow()
    {
        var specs = TargetArchitecture.BuiltIn["two-layer-head"].Tensors;
        var layout = WeightVectorizer.LayerWise(specs, 48);
        var random = new Random(3);
        var models = Enumerable.Range(0, 4).Select(_ => (IReadOnlyDictionary<string, float[]>)RandomBits(specs, random)).ToList();
        var matrix = layout.FlattenMany(models);
        Assert.Equal(4 * layout.VectorLength, matrix.Length);
        for (int m = 0; m < models.Count; m++)
        {
            Assert.Equal(Bits(layout.Flatten(models[m])), Bits(matrix.AsSpan(m * layout.VectorLength, layout.VectorLength)));
            AssertSameBits(models[m], layout.Unflatten(matrix.AsSpan(m * layout.VectorLength, layout.VectorLength)), specs);
        }
    }

    [Fact]
    public void UnflattenIgnoresWhateverThePaddingHolds()
    {
        var specs = new[] { new TensorSpec("a", [3]), new TensorSpec("b", [2, 2]) };
        var layout = WeightVectorizer.LayerWise(specs, 3);
        var tensors = new Dictionary<string, float[]> { ["a"] = [1, 2, 3], ["b"] = [4, 5, 6, 7] };
        var vector = layout.Flatten(tensors);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 0, 0], vector);
        Assert.Equal([false, false, false, false, false, false, false, true, true], layout.PaddingMask());
        vector[7] = float.NaN;
        vector[8] = 42;
        AssertSameBits(tensors, layout.Unflatten(vector), specs);
    }
}
