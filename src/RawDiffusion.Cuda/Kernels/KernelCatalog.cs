namespace RawDiffusion.Cuda.Kernels;

/// <summary>One kernel source file and the extern "C" kernels it defines.</summary>
internal sealed record KernelFile(string FileName, IReadOnlyList<string> Kernels);

/// <summary>Every kernel the host code launches, by source file. Launch code names kernels through this catalog
/// (a module is compiled and loaded the first time one of its kernels is asked for), and a test checks it against
/// the sources: every file here exists and defines exactly these entry points. A new op family is a new .cu file
/// plus one entry here.</summary>
internal static class KernelCatalog
{
    public static readonly KernelFile Unary = new("unary.cu", ["unary_f32", "unary_f64", "unary_strided_f32", "unary_strided_f64", "copy_strided_i32"]);

    public static readonly KernelFile Binary = new("binary.cu", ["binary_f32", "binary_f64", "binary_strided_f32", "binary_strided_f64"]);

    public static readonly KernelFile Fill = new("fill.cu", ["fill_f64", "fill_strided_f32", "fill_strided_f64", "fill_strided_i32"]);

    public static readonly KernelFile Reduce = new("reduce.cu", ["reduce_rows_f32", "reduce_rows_f64", "reduce_columns_f32", "reduce_columns_f64"]);

    public static readonly KernelFile Random = new("random.cu",
        ["philox_uniform_f32", "philox_uniform_f64", "philox_normal_f32", "philox_normal_f64"]);

    public static readonly KernelFile Optimizers = new("optimizers.cu",
        ["adam_step_f32", "adam_step_f64", "sgd_step_f32", "sgd_step_f64", "ema_update_f32", "ema_update_f64"]);

    public static IReadOnlyList<KernelFile> All { get; } = [Unary, Binary, Fill, Reduce, Random, Optimizers];

    static readonly Dictionary<string, KernelFile> fileOfKernel = All
        .SelectMany(file => file.Kernels.Select(kernel => (kernel, file)))
        .ToDictionary(p => p.kernel, p => p.file);

    /// <summary>The file that defines <paramref name="kernel"/>.</summary>
    public static KernelFile FileOf(string kernel) =>
        fileOfKernel.TryGetValue(kernel, out var file) ? file
        : throw new ArgumentException($"no kernel named '{kernel}' in the catalog", nameof(kernel));
}
