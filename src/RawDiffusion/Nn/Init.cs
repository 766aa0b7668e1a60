using RawDiffusion.Backends;

namespace RawDiffusion.Nn;

/// <summary>Which fan a Kaiming initialiser scales by: fan-in keeps the forward activations' variance,
/// fan-out the backward gradients'.</summary>
public enum FanMode { FanIn, FanOut }

/// <summary>In-place parameter initialisers with PyTorch's formulas (torch.nn.init), drawing from a
/// <see cref="Generator"/> so a seed reproduces a model. They overwrite the tensor's values outside the graph.</summary>
public static class Init
{
    /// <summary>(fan_in, fan_out) of a weight shaped [out, in, *kernel]: in (or out) times the kernel size.</summary>
    public static (long FanIn, long FanOut) Fans(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2)
            throw new ArgumentException($"fan in and fan out need a weight of rank >= 2, got shape {ShapeMath.Format(shape)}", nameof(shape));
        long receptive = ShapeMath.Numel(shape[2..]);
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>Uniform on [low, high).</summary>
    public static void Uniform(Tensor tensor, double low = 0, double high = 1, Generator? generator = null) =>
        FillRandom(tensor, RandomDistribution.Uniform, low, high, generator);

    /// <summary>Normal with the given mean and standard deviation.</summary>
    public static void Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null) =>
        FillRandom(tensor, RandomDistribution.Normal, mean, std, generator);

    public static void Constant(Tensor tensor, double value) => tensor.Fill(value);

    public static void Zeros(Tensor tensor) => tensor.Fill(0);

    public static void Ones(Tensor tensor) => tensor.Fill(1);

    /// <summary>kaiming_uniform_: U(-bound, bound) with bound = gain · sqrt(3 / fan) and the leaky-ReLU gain
    /// sqrt(2 / (1 + a²)). With a = sqrt(5) this is PyTorch's default Linear/Conv weight, bound = 1 / sqrt(fan_in).</summary>
    public static void KaimingUniform(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Generator? generator = null)
    {
        double bound = Math.Sqrt(3.0) * KaimingStd(tensor, a, mode);
        Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>kaiming_normal_: N(0, std²) with std = sqrt(2 / (1 + a²)) / sqrt(fan).</summary>
    public static void KaimingNormal(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Generator? generator = null) =>
        Normal(tensor, 0, KaimingStd(tensor, a, mode), generator);

    /// <summary>xavier_uniform_: U(-bound, bound) with bound = gain · sqrt(6 / (fan_in + fan_out)).</summary>
    public static void XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(tensor.Shape);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>PyTorch's reset_parameters for Linear and ConvNd: the weight [out, in, *kernel] from
    /// kaiming_uniform_(a = sqrt(5)), the bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Draws the weight first.</summary>
    public static void LinearOrConvDefault(Tensor weight, Tensor? bias, Generator? generator = null)
    {
        KaimingUniform(weight, Math.Sqrt(5), FanMode.FanIn, generator);
        if (bias == null) return;
        var (fanIn, _) = Fans(weight.Shape);
        double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        Uniform(bias, -bound, bound, generator);
    }

    static double KaimingStd(Tensor tensor, double a, FanMode mode)
    {
        var (fanIn, fanOut) = Fans(tensor.Shape);
        long fan = mode == FanMode.FanIn ? fanIn : fanOut;
        if (fan == 0) throw new ArgumentException($"Kaiming initialisation of a tensor of shape {ShapeMath.Format(tensor.Shape)}: its fan is zero", nameof(tensor));
        return Math.Sqrt(2.0 / (1 + a * a)) / Math.Sqrt(fan);
    }

    static void FillRandom(Tensor tensor, RandomDistribution distribution, double a, double b, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Kernels.RequireFloating(tensor, "initialisation");
        generator ??= Generator.Default;
        if (tensor.IsContiguous)
        {
            var counter = generator.Advance(tensor.Numel);
            tensor.Backend.FillRandom(distribution, tensor.Storage.Buffer, tensor.Offset, tensor.Numel, generator.Seed, counter, a, b);
            return;
        }
        using var values = distribution == RandomDistribution.Uniform
            ? Tensor.Rand(tensor.Shape, generator, a, b, tensor.DType, tensor.Backend)
            : Tensor.Randn(tensor.Shape, generator, a, b, tensor.DType, tensor.Backend);
        tensor.CopyFrom(values);
    }
}
