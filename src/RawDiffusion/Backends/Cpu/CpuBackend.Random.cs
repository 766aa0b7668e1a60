namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void FillRandom(RandomDistribution distribution, DeviceBuffer destination, long offset, long length, ulong seed, ulong counter, double a, double b)
    {
        long blocks = (length + 3) / 4;
        var buffer = Cpu(destination);
        void Block(long blk)
        {
            Span<uint> bits = stackalloc uint[4];
            Philox.Block(seed, counter + (ulong)blk, bits);
            Span<double> values = stackalloc double[4];
            if (distribution == RandomDistribution.Uniform)
                for (int i = 0; i < 4; i++) values[i] = a + (b - a) * Philox.ToUnit(bits[i]);
            else
                for (int i = 0; i < 4; i += 2)
                {
                    // Box–Muller on a pair; 1 − u keeps the logarithm's argument in (0, 1].
                    double r = Math.Sqrt(-2 * Math.Log(1 - Philox.ToUnit(bits[i])));
                    double theta = 2 * Math.PI * Philox.ToUnit(bits[i + 1]);
                    values[i] = a + b * r * Math.Cos(theta);
                    values[i + 1] = a + b * r * Math.Sin(theta);
                }
            long start = offset + blk * 4;
            int count = (int)Math.Min(4, offset + length - start);
            if (buffer.DType == DType.Float32)
            {
                var d = buffer.Array<float>();
                for (int i = 0; i < count; i++) d[start + i] = (float)values[i];
            }
            else
            {
                var d = buffer.Array<double>();
                for (int i = 0; i < count; i++) d[start + i] = values[i];
            }
        }
        if (length < ParallelThreshold) for (long i = 0; i < blocks; i++) Block(i);
        else Parallel.For(0L, blocks, Block);
    }
}
