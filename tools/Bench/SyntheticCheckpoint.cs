using System.Text.Json;
using RawDiffusion.Backends.Cpu;
using RawDiffusion.IO;

namespace RawDiffusion.Bench;

/// <summary>
/// A synthetic sharded BF16 checkpoint shaped like Llama-3 8B: per layer q/o_proj 4096x4096, k/v_proj 1024x4096,
/// gate/up_proj 14336x4096, down_proj 4096x14336 (HF's [out, in] layout), each a Gaussian bulk (std 0.02) plus a planted
/// rank-8 signal above the Marchenko–Pastur edge; one shard per tensor and model.safetensors.index.json.
/// </summary>
internal static class SyntheticCheckpoint
{
    public static readonly (string Name, int Rows, int Columns)[] LayerMatrices =
    [
        ("self_attn.q_proj", 4096, 4096), ("self_attn.k_proj", 1024, 4096), ("self_attn.v_proj", 1024, 4096),
        ("self_attn.o_proj", 4096, 4096), ("mlp.gate_proj", 14336, 4096), ("mlp.up_proj", 14336, 4096), ("mlp.down_proj", 4096, 14336),
    ];

    private const int SignalRank = 8;
    private const float NoiseStd = 0.02f;

    /// <summary>Writes <paramref name="layers"/> layers into <paramref name="folder"/>; returns the bytes written.</summary>
    public static long Write(string folder, int layers, Action<string>? log = null)
    {
        Directory.CreateDirectory(folder);
        int shards = layers * LayerMatrices.Length;
        var weightMap = new Dictionary<string, string>();
        long total = 0;
        int shard = 0;
        for (int layer = 0; layer < layers; layer++)
        {
            foreach ((string module, int rows, int columns) in LayerMatrices)
            {
                string name = $"model.layers.{layer}.{module}.weight";
                string file = $"model-{++shard:D5}-of-{shards:D5}.safetensors";
                float[] data = Matrix(rows, columns, seed: (ulong)shard);
                SafeTensorsWriter.Write(Path.Combine(folder, file), [new SafeTensorEntry(name, [rows, columns], data)], dtype: SafeTensorDType.BF16);
                weightMap[name] = file;
                total += 2L * rows * columns;
            }
            log?.Invoke($"wrote layer {layer + 1}/{layers}");
        }
        var index = new { metadata = new { total_size = total }, weight_map = weightMap };
        File.WriteAllText(Path.Combine(folder, ShardedSafeTensors.DefaultIndexFileName), JsonSerializer.Serialize(index));
        return total;
    }

    /// <summary>Gaussian noise (std 0.02) plus Σ θ_k u_k v_kᵀ with θ_k from 1.5 to 5 times the bulk edge.</summary>
    public static float[] Matrix(int rows, int columns, ulong seed)
    {
        var data = new float[(long)rows * columns];
        Parallel.For(0, rows, row =>
        {
            ulong state = (seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)row * 0xD1B54A32D192ED03UL) ^ 0x2545F4914F6CDD1DUL;
            Span<float> target = data.AsSpan(row * columns, columns);
            for (int c = 0; c < columns; c += 2)
            {
                // Box–Muller on two 24-bit uniforms from a splitmix64 stream.
                double u1 = ((Next(ref state) >> 40) + 0.5) / (1 << 24);
                double u2 = ((Next(ref state) >> 40) + 0.5) / (1 << 24);
                double radius = Math.Sqrt(-2 * Math.Log(u1)) * NoiseStd;
                target[c] = (float)(radius * Math.Cos(2 * Math.PI * u2));
                if (c + 1 < columns) target[c + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
            }
        });
        double edge = NoiseStd * (Math.Sqrt(rows) + Math.Sqrt(columns));
        var u = new float[rows * SignalRank];
        var v = new float[SignalRank * columns];
        var random = new Random((int)seed);
        for (int k = 0; k < SignalRank; k++)
        {
            double theta = edge * (1.5 + 3.5 * k / (SignalRank - 1));
            double[] left = UnitVector(rows, random), right = UnitVector(columns, random);
            for (int r = 0; r < rows; r++) u[r * SignalRank + k] = (float)(theta * left[r]);
            for (int c = 0; c < columns; c++) v[k * columns + c] = (float)right[c];
        }
        CpuGemm.Sgemm(false, false, rows, columns, SignalRank, 1, u, SignalRank, v, columns, 1, data, columns);
        return data;
    }

    private static double[] UnitVector(int length, Random random)
    {
        var x = new double[length];
        double norm = 0;
        for (int i = 0; i < length; i++)
        {
            x[i] = random.NextDouble() - 0.5;
            norm += x[i] * x[i];
        }
        norm = Math.Sqrt(norm);
        for (int i = 0; i < length; i++) x[i] /= norm;
        return x;
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
