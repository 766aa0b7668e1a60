using System.Runtime.InteropServices;
using RawDiffusion.Cuda.Native;
using static RawDiffusion.Cuda.Native.Nvrtc;

namespace RawDiffusion.Cuda.Kernels;

/// <summary>What one NVRTC compilation produced: the status, the log (warnings as well as errors), and on success
/// the PTX (NUL-terminated, as cuModuleLoadData wants it) and, for an sm_XY target, the CUBIN (empty for compute_XY).</summary>
internal sealed record NvrtcOutput(nvrtcResult Status, string Log, byte[] Ptx, byte[] Cubin)
{
    public bool Succeeded => Status == nvrtcResult.NVRTC_SUCCESS;
}

/// <summary>One call of NVRTC: creates the program with its headers, compiles, collects outputs and log, destroys it.</summary>
internal static unsafe class NvrtcProgram
{
    public static NvrtcOutput Compile(string fileName, string source, IReadOnlyList<KernelHeader> headers, IReadOnlyList<string> options)
    {
        var strings = new List<nint>();
        nint Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return p;
        }
        nint program = 0;
        try
        {
            var headerSources = stackalloc byte*[Math.Max(1, headers.Count)];
            var headerNames = stackalloc byte*[Math.Max(1, headers.Count)];
            for (int i = 0; i < headers.Count; i++)
            {
                headerSources[i] = (byte*)Utf8(headers[i].Source);
                headerNames[i] = (byte*)Utf8(headers[i].Name);
            }
            Check(nvrtcCreateProgram(out program, (byte*)Utf8(source), (byte*)Utf8(fileName), headers.Count, headerSources, headerNames));
            var optionPointers = stackalloc byte*[Math.Max(1, options.Count)];
            for (int i = 0; i < options.Count; i++) optionPointers[i] = (byte*)Utf8(options[i]);
            var status = nvrtcCompileProgram(program, options.Count, optionPointers);
            var log = Log(program);
            if (status != nvrtcResult.NVRTC_SUCCESS) return new NvrtcOutput(status, log, [], []);
            return new NvrtcOutput(status, log, Output(program, nameof(nvrtcGetPTX), &nvrtcGetPTXSize, &nvrtcGetPTX),
                Output(program, nameof(nvrtcGetCUBIN), &nvrtcGetCUBINSize, &nvrtcGetCUBIN));
        }
        finally
        {
            if (program != 0) nvrtcDestroyProgram(ref program);
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>One output of a successful compilation, or empty where NVRTC has none (no CUBIN for a compute_XY
    /// target; its size query then reports 0 or an error depending on the version).</summary>
    static byte[] Output(nint program, string call, delegate*<nint, out nuint, nvrtcResult> size, delegate*<nint, byte*, nvrtcResult> get)
    {
        if (size(program, out var length) != nvrtcResult.NVRTC_SUCCESS || length == 0) return [];
        var bytes = new byte[(int)length];
        fixed (byte* p = bytes) Check(get(program, p), call);
        return bytes;
    }

    static string Log(nint program)
    {
        Check(nvrtcGetProgramLogSize(program, out var size));
        if (size <= 1) return "";
        var log = new byte[(int)size];
        fixed (byte* p = log) Check(nvrtcGetProgramLog(program, p));
        return System.Text.Encoding.UTF8.GetString(log, 0, log.Length - 1).TrimEnd();
    }

    /// <summary>NVRTC's version (major, minor).</summary>
    public static (int Major, int Minor) Version()
    {
        Check(nvrtcVersion(out int major, out int minor));
        return (major, minor);
    }

    /// <summary>The sm_XY numbers NVRTC can generate code for, ascending.</summary>
    public static int[] SupportedArchitectures()
    {
        Check(nvrtcGetNumSupportedArchs(out int count));
        var archs = new int[count];
        fixed (int* p = archs) Check(nvrtcGetSupportedArchs(p));
        Array.Sort(archs);
        return archs;
    }
}
