using System.Numerics;

namespace RawDiffusion.Backends.Cpu;

/// <summary>C = beta * C, the whole result when k = 0 or alpha = 0.</summary>
internal static unsafe class GemmScaling
{
    public static void ScaleC<T>(T* c, int m, int n, int ldc, T beta) where T : unmanaged, INumberBase<T>
    {
        if (beta == T.One)
        {
            return;
        }

        for (int i = 0; i < m; i++)
        {
            var row = new Span<T>(c + (nint)i * ldc, n);
            if (T.IsZero(beta))
            {
                // Overwrite rather than multiply: C may hold NaN or infinity when beta is zero.
                row.Clear();
            }
            else
            {
                foreach (ref T value in row)
                {
                    value *= beta;
                }
            }
        }
    }
}
