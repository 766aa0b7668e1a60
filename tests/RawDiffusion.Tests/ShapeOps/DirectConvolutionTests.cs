using System.Runtime.Intrinsics.X86;
using RawDiffusion.Backends;
using RawDiffusion.Backends.Cpu;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.ShapeOps;

/// <summary>The CPU backend's direct (column-matrix-free) kernels for size-keeping stride-1 float32 convolutions,
/// against naive loops: shapes that cross its blocking (several depth blocks, several B panel blocks, partial panels,
/// edge tiles of the 12-row micro-kernel, rows narrower than a 16-lane vector, two threads summing dW).</summary>
public class DirectConvolutionTests
{
    public static TheoryData<int, int, int, int, int, int, int> Cases => new()
    {
        // n, c, h, w, o, kh, kw ("same" padding (kh - 1) / 2, (kw - 1) / 2)
        { 4, 40, 8, 16, 13, 3, 3 },    // 360 column rows: two depth blocks of the weight, two panel blocks of dW
        { 2, 3, 13, 11, 5, 5, 5 },     // 143-pixel planes: partial panels; 11-pixel rows wrap inside a vector
        { 3, 7, 32, 4, 12, 3, 3 },     // 4-pixel rows: four rows per 16 lanes
        { 2, 5, 6, 16, 1, 3, 1 },      // one output channel (a mostly empty micro-tile), a 3x1 kernel
        { 2, 4, 1, 200, 6, 1, 3 },     // Conv1d-shaped: height 1
        { 1, 40, 32, 32, 13, 3, 3 },   // one image whose pixel blocks two threads share for dW
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndGradientsMatchNaiveLoops(int n, int c, int h, int w, int o, int kh, int kw)
    {
        int ph = (kh - 1) / 2, pw = (kw - 1) / 2;
        var x = Reference.Float(21, [n, c, h, w]);
        var weight = Reference.Float(22, [o, c, kh, kw]);
        var bias = Reference.Float(23, [o]);
        foreach (var t in new[] { x, weight, bias }) t.RequiresGrad = true;
        var gradY = Reference.RandomArray(n * o * h * w, 24);

        var y = F.Conv2d(x, weight, bias, (1, 1), (ph, pw), (1, 1));
        y.Backward(Tensor.FromSpan<float>(Array.ConvertAll(gradY, v => (float)v), [n, o, h, w], DType.Float32, null));

        var (xs, ws, bs) = (x.ToFloat64Array(), weight.ToFloat64Array(), bias.ToFloat64Array());
        var expected = new double[n * o * h * w];
        var gx = new double[xs.Length];
        var gw = new double[ws.Length];
        for (int img = 0; img < n; img++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                    {
                        int yi = ((img * o + oc) * h + i) * w + j;
                        double sum = bs[oc], dy = gradY[yi];
                        for (int ic = 0; ic < c; ic++)
                            for (int p = 0; p < kh; p++)
                                for (int q = 0; q < kw; q++)
                                {
                                    int ih = i - ph + p, iw = j - pw + q;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    int xi = ((img * c + ic) * h + ih) * w + iw, wi = ((oc * c + ic) * kh + p) * kw + q;
                                    sum += xs[xi] * ws[wi];
                                    gx[xi] += ws[wi] * dy;
                                    gw[wi] += xs[xi] * dy;
                                }
                        expected[yi] = sum;
                    }
        Reference.Close(expected, y.ToFloat64Array(), 1e-4, 1e-4, "y");
        Reference.Close(gx, x.Grad!.ToFloat64Array(), 1e-4, 1e-4, "dX");
        Reference.Close(gw, weight.Grad!.ToFloat64Array(), 1e-3, 1e-4, "dW");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheDirectKernelsTakeTheseShapesWhereTheCpuHasAvx512(int n, int c, int h, int w, int o, int kh, int kw)
    {
        _ = (n, o);
        var geometry = new Conv2dGeometry(c, h, w, kh, kw, 1, 1, (kh - 1) / 2, (kw - 1) / 2, 1, 1);
        Assert.Equal(Avx512F.IsSupported && CpuGemm.Provider != GemmProvider.Blas, DirectConvolutionGemm.Supports(DType.Float32, geometry, 1));
        Assert.False(DirectConvolutionGemm.Supports(DType.Float64, geometry, 1));
        Assert.False(DirectConvolutionGemm.Supports(DType.Float32, geometry with { StrideHeight = 2 }, 1));
    }
}
