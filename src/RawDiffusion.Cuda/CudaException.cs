namespace RawDiffusion.Cuda;

/// <summary>A CUDA library call returned an error status. Names the library, the call and the error
/// (cuGetErrorName for the driver, the status enum's name for cuBLAS and cuRAND, nvrtcGetErrorString for NVRTC).</summary>
public class CudaException : Exception
{
    public CudaException(string library, string call, int code, string errorName, string? detail = null)
        : base($"{library}: {call} failed with {errorName} ({code}){(string.IsNullOrEmpty(detail) ? "" : ": " + detail)}")
    {
        Library = library;
        Call = call;
        Code = code;
        ErrorName = errorName;
    }

    /// <summary>"CUDA driver", "cuBLAS", "cuRAND" or "NVRTC".</summary>
    public string Library { get; }

    /// <summary>The C function that failed, e.g. cuMemAlloc_v2.</summary>
    public string Call { get; }

    /// <summary>The raw status code.</summary>
    public int Code { get; }

    /// <summary>The status's symbolic name, e.g. CUDA_ERROR_OUT_OF_MEMORY.</summary>
    public string ErrorName { get; }

    /// <summary>The function name in a status-checked call expression: "Nvrtc.nvrtcCompileProgram(p, n, o)" gives
    /// "nvrtcCompileProgram". The check helpers take the expression through CallerArgumentExpression.</summary>
    internal static string CallName(string expression)
    {
        int paren = expression.IndexOf('(');
        var head = (paren >= 0 ? expression[..paren] : expression).Trim();
        return head[(head.LastIndexOf('.') + 1)..];
    }
}
