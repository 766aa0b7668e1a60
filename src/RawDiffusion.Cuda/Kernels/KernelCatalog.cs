namespace RawDiffusion.Cuda.Kernels;

/// <summary>One kernel source file and the extern "C" kernels it defines.</summary>
internal sealed record KernelFile(string FileName, IReadOnlyList<string> Kernels);

/// <summary>Every kernel the host code launches, by source file. Launch code names kernels through this catalog
/// (a module is compiled and loaded the first time one of its kernels is asked for), and a test checks it against
/// the sources: every file here exists and defines exactly these entry points. A new op family is a new .cu file
/// plus one entry here.</summary>
internal static class KernelCatalog
{
    public static readonly KernelFile Unary = new("unary.cu", ["unary_f32", "unary_f64", "unary_strided_f32", "unary_strided_f64", "copy_strided_i32", "bias_activation_f32", "bias_activation_f64"]);

    public static readonly KernelFile Binary = new("binary.cu", ["binary_f32", "binary_f64", "binary_strided_f32", "binary_strided_f64"]);

    public static readonly KernelFile Fill = new("fill.cu", ["fill_f64", "fill_strided_f32", "fill_strided_f64", "fill_strided_i32"]);

    public static readonly KernelFile Reduce = new("reduce.cu", ["reduce_rows_f32", "reduce_rows_f64", "reduce_columns_f32", "reduce_columns_f64"]);

    public static readonly KernelFile Random = new("random.cu",
        ["philox_uniform_f32", "philox_uniform_f64", "philox_normal_f32", "philox_normal_f64"]);

    public static readonly KernelFile Optimizers = new("optimizers.cu",
        ["adam_step_f32", "adam_step_f64", "adam_step_many_f32", "adam_step_many_f64", "sgd_step_f32", "sgd_step_f64", "ema_update_f32", "ema_update_f64"]);

    public static readonly KernelFile Softmax = new("softmax.cu",
        ["softmax_rows_f32", "softmax_rows_f64", "softmax_backward_rows_f32", "softmax_backward_rows_f64"]);

    public static readonly KernelFile Loss = new("loss.cu",
        ["nll_loss_rows_f32", "nll_loss_rows_f64", "nll_loss_backward_rows_f32", "nll_loss_backward_rows_f64"]);

    public static readonly KernelFile Normalization = new("normalization.cu",
    [
        "norm_statistics_f32", "norm_statistics_f64", "norm_forward_f32", "norm_forward_f64",
        "norm_backward_row_sums_f32", "norm_backward_row_sums_f64", "norm_backward_column_sums_f32", "norm_backward_column_sums_f64",
        "norm_backward_finish_f32", "norm_backward_finish_f64", "norm_backward_f32", "norm_backward_f64",
    ]);

    public static readonly KernelFile Convolution = new("convolution.cu", ["im2col_f32", "im2col_f64", "col2im_f32", "col2im_f64"]);

    public static readonly KernelFile Pooling = new("pooling.cu",
    [
        "max_pool2d_f32", "max_pool2d_f64", "max_pool2d_backward_f32", "max_pool2d_backward_f64",
        "sum_pool2d_f32", "sum_pool2d_f64", "sum_pool2d_backward_f32", "sum_pool2d_backward_f64",
    ]);

    public static readonly KernelFile Indexing = new("indexing.cu",
    [
        "find_index_out_of_range_i32",
        "index_select_f32", "index_select_f64", "index_select_i32", "index_add_f32", "index_add_f64",
        "gather_f32", "gather_f64", "gather_i32", "scatter_add_f32", "scatter_add_f64",
    ]);

    public static readonly KernelFile ArgMax = new("argmax.cu", ["argmax_rows_f32", "argmax_rows_f64", "argmax_columns_f32", "argmax_columns_f64"]);

    public static readonly KernelFile Spectrum = new("spectrum.cu", ["jacobi_singular_values_f64"]);

    public static IReadOnlyList<KernelFile> All { get; } =
        [Unary, Binary, Fill, Reduce, Random, Optimizers, Softmax, Loss, Normalization, Convolution, Pooling, Indexing, ArgMax, Spectrum];

    static readonly Dictionary<string, KernelFile> fileOfKernel = All
        .SelectMany(file => file.Kernels.Select(kernel => (kernel, file)))
        .ToDictionary(p => p.kernel, p => p.file);

    /// <summary>The file that defines <paramref name="kernel"/>.</summary>
    public static KernelFile FileOf(string kernel) =>
        fileOfKernel.TryGetValue(kernel, out var file) ? file
        : throw new ArgumentException($"no kernel named '{kernel}' in the catalog", nameof(kernel));
}
