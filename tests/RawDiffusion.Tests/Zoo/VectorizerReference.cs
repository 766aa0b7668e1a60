using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Zoo;

/// <summary>
/// Naive, element-by-element statements of the two layouts and random tensor contents for the vectorizer tests.
/// </summary>
internal static class VectorizerReference
{
    /// <summary>Which (tensor, flat element) each vector position holds; null for padding.</summary>
    public static (string Tensor, int Element)?[] ModelWisePositions(IReadOnlyList<TensorSpec> specs, int? padTo)
    {
        var positions = new List<(string, int)?>();
        foreach (var spec in specs)
            for (int e = 0; e < spec.Numel; e++) positions.Add((spec.Name, e));
        while (positions.Count < (padTo ?? positions.Count)) positions.Add(null);
        return positions.ToArray();
    }

    /// <summary>Walks every element; a new chunk starts whenever the current one is full or a new tensor begins.</summary>
    public static (string Tensor, int Element)?[] LayerWisePositions(IReadOnlyList<TensorSpec> specs, int chunkSize)
    {
        var positions = new List<(string, int)?>();
        foreach (var spec in specs)
        {
            int filled = 0;
            for (int e = 0; e < spec.Numel; e++)
            {
                positions.Add((spec.Name, e));
                filled = (filled + 1) % chunkSize;
            }
            while (filled != 0) { positions.Add(null); filled = (filled + 1) % chunkSize; }
        }
        return positions.ToArray();
    }

    /// <summary>Chunk descriptors derived from the per-position map: (tensor, first element, valid values) per chunk.</summary>
    public static List<(string Tensor, int Offset, int Length)> ChunksOf((string Tensor, int Element)?[] positions, int chunkSize)
    {
        var chunks = new List<(string, int, int)>();
        for (int start = 0; start < positions.Length; start += chunkSize)
        {
            var first = positions[start]!.Value;
            int valid = 0;
            for (int i = start; i < start + chunkSize; i++)
                if (positions[i] is { } p) { Assert.Equal(first.Tensor, p.Tensor); Assert.Equal(first.Element + valid, p.Element); valid++; }
            chunks.Add((first.Tensor, first.Element, valid));
        }
        return chunks;
    }

    /// <summary>Arbitrary 32-bit patterns (NaNs with payloads, infinities, subnormals) plus -0.0 and a signalling NaN.</summary>
    public static Dictionary<string, float[]> RandomBits(IReadOnlyList<TensorSpec> specs, Random random)
    {
        var tensors = new Dictionary<string, float[]>();
        foreach (var spec in specs)
        {
            var values = new float[spec.Numel];
            for (int i = 0; i < values.Length; i++) values[i] = BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next(2) << 31));
            values[random.Next(values.Length)] = -0.0f;
            values[random.Next(values.Length)] = BitConverter.Int32BitsToSingle(unchecked((int)0xFFA00123u));
            values[random.Next(values.Length)] = BitConverter.Int32BitsToSingle(0x7FC0BEEF);
            tensors[spec.Name] = values;
        }
        return tensors;
    }

    /// <summary>Weights drawn from a per-tensor Gaussian, so per-layer statistics differ between tensors.</summary>
    public static Dictionary<string, float[]> RandomWeights(IReadOnlyList<TensorSpec> specs, Random random)
    {
        var tensors = new Dictionary<string, float[]>();
        for (int t = 0; t < specs.Count; t++)
        {
            var values = new float[specs[t].Numel];
            for (int i = 0; i < values.Length; i++)
            {
                double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
                double gaussian = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                values[i] = (float)(0.3 * (t - 1) + (0.05 + 0.1 * t) * gaussian);
            }
            tensors[specs[t].Name] = values;
        }
        return tensors;
    }

    public static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    /// <summary>Same names in the same order and the same bits in every tensor.</summary>
    public static void AssertSameBits(IReadOnlyDictionary<string, float[]> expected, Dictionary<string, float[]> actual, IReadOnlyList<TensorSpec> order)
    {
        Assert.Equal(order.Select(s => s.Name), actual.Keys);
        foreach (var (name, values) in expected)
            Assert.True(Bits(values).AsSpan().SequenceEqual(Bits(actual[name])), $"tensor {name} changed bits");
    }
}
