using System.Runtime.InteropServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// The system CBLAS library, found at first use by trying well-known shared-library names and kept only if
/// it really exports <c>cblas_sgemm</c> and <c>cblas_dgemm</c> (a Fortran-only libblas does not).
/// Calls go through unmanaged function pointers, so a call allocates nothing and marshals nothing.
/// </summary>
internal static unsafe class Blas
{
    private const int RowMajor = 101;
    private const int NoTranspose = 111;
    private const int Transpose = 112;

    /// <summary>Library names tried in order: optimised implementations first, the generic reference last.</summary>
    public static IReadOnlyList<string> CandidateLibraryNames { get; } =
        OperatingSystem.IsWindows() ? ["libopenblas.dll", "openblas.dll", "mkl_rt.2.dll", "mkl_rt.dll", "libblis.dll", "cblas.dll"]
        : OperatingSystem.IsMacOS() ? ["libopenblas.0.dylib", "libopenblas.dylib", "libblis.4.dylib", "libblis.dylib", "libcblas.dylib",
            "/System/Library/Frameworks/Accelerate.framework/Accelerate"]
        : ["libopenblas.so.0", "libopenblasp.so.0", "libopenblaso.so.0", "libopenblas.so", "libmkl_rt.so.2", "libmkl_rt.so",
            "libblis.so.4", "libblis.so", "libcblas.so.3", "libblas.so.3"];

    private static readonly LoadedLibrary? Library = LoadFirstAvailable();

    public static bool IsAvailable => Library is not null;

    /// <summary>The name under which the library was loaded, or null when none was found.</summary>
    public static string? LibraryName => Library?.Name;

    /// <summary>Implementation, version and library name, e.g. "OpenBLAS 0.3.21, Haswell kernels (libopenblas.so.0)".</summary>
    public static string Description => Library is null ? "no system BLAS" : $"{Library.Implementation} ({Library.Name})";

    /// <summary>The threads the library was told to use (all cores), or 0 when it has no control for that.</summary>
    public static int Threads => Library?.Threads ?? 0;

    public static string NotFoundMessage =>
        $"No system CBLAS library could be loaded; tried {string.Join(", ", CandidateLibraryNames)}. " +
        "Install one (for example OpenBLAS) or use the managed GEMM provider.";

    public static void Sgemm(in GemmOperands<float> op)
    {
        LoadedLibrary library = Library ?? throw new InvalidOperationException(NotFoundMessage);
        library.Sgemm(RowMajor, op.TransA ? Transpose : NoTranspose, op.TransB ? Transpose : NoTranspose,
            op.M, op.N, op.K, op.Alpha, op.A, op.Lda, op.B, op.Ldb, op.Beta, op.C, op.Ldc);
    }

    public static void Dgemm(in GemmOperands<double> op)
    {
        LoadedLibrary library = Library ?? throw new InvalidOperationException(NotFoundMessage);
        library.Dgemm(RowMajor, op.TransA ? Transpose : NoTranspose, op.TransB ? Transpose : NoTranspose,
            op.M, op.N, op.K, op.Alpha, op.A, op.Lda, op.B, op.Ldb, op.Beta, op.C, op.Ldc);
    }

    private static LoadedLibrary? LoadFirstAvailable()
    {
        foreach (string name in CandidateLibraryNames)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle))
            {
                continue;
            }

            if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm) &&
                NativeLibrary.TryGetExport(handle, "cblas_dgemm", out nint dgemm))
            {
                int threads = UseAllCores(handle);
                return new LoadedLibrary(name, DescribeImplementation(handle), threads,
                    (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm,
                    (delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)dgemm);
            }

            NativeLibrary.Free(handle);
        }

        return null;
    }

    /// <summary>
    /// Libraries default to their own idea of the thread count (environment variables, or all cores they can
    /// see); tell them explicitly to use every core this process may use, as the managed kernel does.
    /// </summary>
    private static int UseAllCores(nint handle)
    {
        int threads = Environment.ProcessorCount;
        if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint openBlas))
        {
            ((delegate* unmanaged<int, void>)openBlas)(threads);
        }
        else if (NativeLibrary.TryGetExport(handle, "MKL_Set_Num_Threads", out nint mkl))
        {
            ((delegate* unmanaged<int, void>)mkl)(threads);
        }
        else if (NativeLibrary.TryGetExport(handle, "bli_thread_set_num_threads", out nint blis))
        {
            // BLIS takes a dim_t, which is 64 bits wide in its default configuration.
            ((delegate* unmanaged<long, void>)blis)(threads);
        }
        else
        {
            return 0;
        }

        return threads;
    }

    private static string DescribeImplementation(nint handle)
    {
        if (NativeLibrary.TryGetExport(handle, "openblas_get_config", out nint config))
        {
            // The configuration string starts with "OpenBLAS <version>"; the core name tells which kernels it picked.
            string[] words = (Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)config)()) ?? "OpenBLAS")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string version = string.Join(' ', words.Take(2));
            return NativeLibrary.TryGetExport(handle, "openblas_get_corename", out nint coreName)
                ? $"{version}, {Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)coreName)())} kernels"
                : version;
        }

        if (NativeLibrary.TryGetExport(handle, "MKL_Get_Version_String", out nint mklVersion))
        {
            const int capacity = 256;
            byte* text = stackalloc byte[capacity];
            ((delegate* unmanaged<byte*, int, void>)mklVersion)(text, capacity);
            return Marshal.PtrToStringUTF8((nint)text)?.Trim() ?? "Intel MKL";
        }

        if (NativeLibrary.TryGetExport(handle, "bli_info_get_version_str", out nint blisVersion))
        {
            return $"BLIS {Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)blisVersion)())}";
        }

        return "CBLAS";
    }

    private sealed class LoadedLibrary(
        string name,
        string implementation,
        int threads,
        delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm,
        delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> dgemm)
    {
        public string Name { get; } = name;
        public string Implementation { get; } = implementation;
        public int Threads { get; } = threads;
        public delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm { get; } = sgemm;
        public delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> Dgemm { get; } = dgemm;
    }
}
