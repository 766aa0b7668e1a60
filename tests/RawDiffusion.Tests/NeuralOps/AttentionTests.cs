using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.NeuralOps;

public class AttentionTests
{
    /// <summary>softmax(q·kᵀ·scale + mask)·v written out per batch element, row and column; batch dims broadcast.</summary>
    static double[] NaiveAttention(double[] q, int[] qs, double[] k, int[] ks, double[] v, int[] vs, double[]? mask, int[]? ms, double? scale, out int[] outShape)
    {
        int lq = qs[^2], d = qs[^1], lk = ks[^2], dv = vs[^1];
        var batch = ShapeMath.Broadcast(ShapeMath.Broadcast(qs[..^2], ks[..^2]), vs[..^2]);
        outShape = [.. batch, lq, dv];
        double s = scale ?? 1 / Math.Sqrt(d);
        var result = new double[ShapeMath.Numel(outShape)];
        for (long bi = 0; bi < ShapeMath.Numel(batch); bi++)
        {
            var idx = Reference.Unravel(bi, batch);
            long qo = Reference.BroadcastFlat(idx, qs[..^2]) * lq * d, ko = Reference.BroadcastFlat(idx, ks[..^2]) * lk * d;
            long vo = Reference.BroadcastFlat(idx, vs[..^2]) * lk * dv;
            for (int i = 0; i < lq; i++)
            {
                var scores = new double[lk];
                for (int j = 0; j < lk; j++)
                {
                    double dot = 0;
                    for (int p = 0; p < d; p++) dot += q[qo + i * d + p] * k[ko + j * d + p];
                    scores[j] = dot * s;
                    if (mask != null) scores[j] += mask[Reference.BroadcastFlat([.. idx, i, j], ms!)];
                }
                double max = scores.Max(), sum = scores.Sum(x => Math.Exp(x - max));
                for (int c = 0; c < dv; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < lk; j++) acc += Math.Exp(scores[j] - max) / sum * v[vo + j * dv + c];
                    result[bi * lq * dv + i * dv + c] = acc;
                }
            }
        }
        return result;
    }

    static double[] V(Tensor t) => Kernels.Copy(t).ToFloat64Array();

    public static TheoryData<int[], int[], int[], int[]?> Shapes => new()
    {
        { [2, 3, 4, 5], [2, 3, 6, 5], [2, 3, 6, 7], null },
        { [2, 3, 4, 5], [2, 3, 6, 5], [2, 3, 6, 7], [4, 6] },
        { [2, 3, 4, 5], [2, 1, 6, 5], [2, 1, 6, 3], [2, 1, 1, 6] },   // keys and values shared by the heads
        { [5, 8], [9, 8], [9, 4], null },
        { [1, 4, 5], [2, 1, 6, 5], [2, 3, 6, 2], null },                // values widen the batch of the scores
        { [2, 4, 64, 32], [2, 4, 64, 32], [2, 4, 64, 32], [64, 64] },   // threaded softmax rows
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesNaiveLoops(int[] qs, int[] ks, int[] vs, int[]? ms)
    {
        var q = Reference.Float(1, qs) * 2;
        var k = Reference.Float(2, ks) * 2;
        var v = Reference.Float(3, vs);
        var mask = ms == null ? null : Reference.Float(4, ms) * 3;
        var expected = NaiveAttention(V(q), qs, V(k), ks, V(v), vs, mask == null ? null : V(mask), ms, null, out var shape);
        var y = F.ScaledDotProductAttention(q, k, v, mask);
        Assert.Equal(shape, y.ShapeArray);
        Reference.Close(expected, y.ToFloat64Array(), 1e-5, 1e-4);
        var scaled = NaiveAttention(V(q), qs, V(k), ks, V(v), vs, null, null, 0.7, out _);
        Reference.Close(scaled, F.ScaledDotProductAttention(q, k, v, scale: 0.7).ToFloat64Array(), 1e-5, 1e-4);
    }

    [Fact]
    public void StridedInputsAndBlockingMasks()
    {
        // q, k, v as [B, H, L, D] views of [B, L, H, D] projections, as multi-head attention produces them.
        var q = Reference.Float(5, 2, 4, 3, 5).Permute(0, 2, 1, 3);
        var k = Reference.Float(6, 2, 6, 3, 5).Permute(0, 2, 1, 3);
        var v = Reference.Float(7, 2, 6, 3, 5).Permute(0, 2, 1, 3);
        // A causal-style mask: key j is blocked for query i when j > i + 2.
        var maskValues = Naive.Build([4, 6], i => i[1] > i[0] + 2 ? double.NegativeInfinity : 0);
        var mask = Tensor.FromArray(maskValues.Select(x => (float)x).ToArray(), 4, 6);
        var expected = NaiveAttention(V(q), [2, 3, 4, 5], V(k), [2, 3, 6, 5], V(v), [2, 3, 6, 5], maskValues, [4, 6], null, out _);
        Reference.Close(expected, F.ScaledDotProductAttention(q, k, v, mask).ToFloat64Array(), 1e-5, 1e-4);
        // With one-hot values the output is the attention weights: blocked keys get exactly zero.
        var eye = Tensor.FromArray(Naive.Build([6, 6], i => i[0] == i[1] ? 1 : 0).Select(x => (float)x).ToArray(), 6, 6);
        var weights = F.ScaledDotProductAttention(Reference.Float(8, 4, 6) * 100, Reference.Float(9, 6, 6) * 100, eye, mask).ToFloat64Array();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 6; j++)
                if (j > i + 2) Assert.Equal(0, weights[i * 6 + j]);
                else Assert.True(double.IsFinite(weights[i * 6 + j]));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var q = Reference.Leaf(10, 2, 2, 3, 4);
        var k = Reference.Leaf(11, 2, 2, 5, 4);
        var v = Reference.Leaf(12, 2, 2, 5, 3);
        var mask = Reference.Leaf(13, 3, 5);
        GradCheck.Check(t => F.ScaledDotProductAttention(t[0], t[1], t[2]), [q, k, v]);
        GradCheck.Check(t => F.ScaledDotProductAttention(t[0], t[1], t[2], t[3], 0.8), [q, k, v, mask]);
        var sharedK = Reference.Leaf(14, 2, 1, 5, 4);
        var sharedV = Reference.Leaf(15, 5, 3);
        GradCheck.Check(t => F.ScaledDotProductAttention(t[0], t[1], t[2]), [q, sharedK, sharedV]);
        GradCheck.Check(t => F.ScaledDotProductAttention(t[0], t[1], t[2]), [Reference.Leaf(17, 1, 3, 4), sharedK, Reference.Leaf(18, 2, 2, 5, 2)]);
        var strided = Reference.Leaf(16, 2, 3, 2, 4).Detach().Permute(0, 2, 1, 3);
        strided.RequiresGrad = true;
        GradCheck.Check(t => F.ScaledDotProductAttention(t[0], t[1], t[2]), [strided, k, v]);
    }

    /// <summary>Multi-head attention written out: projections, per-head attention, concatenation, output projection.</summary>
    static double[] NaiveMultiHead(double[] x, int b, int l, double[] ctx, int lk, int ec, double[] wq, double[] wk, double[] wv, double[] wo,
                                   int inner, int eOut, int heads, double[]? bq, double[]? bo)
    {
        int e = x.Length / (b * l), d = inner / heads;
        double[] Project(double[] src, int rows, int inF, double[] w, int outF, double[]? bias)
        {
            var y = new double[rows * outF];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < outF; o++)
                {
                    double s = bias?[o] ?? 0;
                    for (int i = 0; i < inF; i++) s += src[r * inF + i] * w[o * inF + i];
                    y[r * outF + o] = s;
                }
            return y;
        }
        var q = Project(x, b * l, e, wq, inner, bq);
        var k = Project(ctx, b * lk, ec, wk, inner, null);
        var v = Project(ctx, b * lk, ec, wv, inner, null);
        var merged = new double[b * l * inner];
        for (int n = 0; n < b; n++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < l; i++)
                {
                    var s = new double[lk];
                    for (int j = 0; j < lk; j++)
                    {
                        for (int p = 0; p < d; p++) s[j] += q[(n * l + i) * inner + h * d + p] * k[(n * lk + j) * inner + h * d + p];
                        s[j] /= Math.Sqrt(d);
                    }
                    double max = s.Max(), sum = s.Sum(z => Math.Exp(z - max));
                    for (int p = 0; p < d; p++)
                        for (int j = 0; j < lk; j++)
                            merged[(n * l + i) * inner + h * d + p] += Math.Exp(s[j] - max) / sum * v[(n * lk + j) * inner + h * d + p];
                }
        return Project(merged, b * l, inner, wo, eOut, bo);
    }

    [Fact]
    public void MultiHeadAttentionMatchesNaiveLoops()
    {
        var x = Reference.Float(20, 2, 5, 8);
        var wq = Reference.Float(21, 8, 8);
        var wk = Reference.Float(22, 8, 8);
        var wv = Reference.Float(23, 8, 8);
        var wo = Reference.Float(24, 6, 8);
        var bq = Reference.Float(25, 8);
        var bo = Reference.Float(26, 6);
        var self = F.MultiHeadAttention(x, null, wq, wk, wv, wo, heads: 2, bq: bq, bo: bo);
        Assert.Equal([2, 5, 6], self.ShapeArray);
        Reference.Close(NaiveMultiHead(V(x), 2, 5, V(x), 5, 8, V(wq), V(wk), V(wv), V(wo), 8, 6, 2, V(bq), V(bo)), self.ToFloat64Array(), 1e-5, 1e-4);

        var context = Reference.Float(27, 2, 7, 3);
        var wkc = Reference.Float(28, 8, 3);
        var wvc = Reference.Float(29, 8, 3);
        var cross = F.MultiHeadAttention(x, context, wq, wkc, wvc, wo, heads: 4);
        Reference.Close(NaiveMultiHead(V(x), 2, 5, V(context), 7, 3, V(wq), V(wkc), V(wvc), V(wo), 8, 6, 4, null, null), cross.ToFloat64Array(), 1e-5, 1e-4);
    }

    [Fact]
    public void MultiHeadAttentionGradientsMatchFiniteDifferences()
    {
        var x = Reference.Leaf(30, 2, 3, 4);
        var context = Reference.Leaf(31, 2, 2, 3);
        var wq = Reference.Leaf(32, 4, 4);
        var wk = Reference.Leaf(33, 4, 3);
        var wv = Reference.Leaf(34, 4, 3);
        var wo = Reference.Leaf(35, 4, 4);
        var bq = Reference.Leaf(36, 4);
        var bk = Reference.Leaf(37, 4);
        var bv = Reference.Leaf(38, 4);
        var bo = Reference.Leaf(39, 4);
        GradCheck.Check(t => F.MultiHeadAttention(t[0], t[1], t[2], t[3], t[4], t[5], 2, t[6], t[7], t[8], t[9]),
            [x, context, wq, wk, wv, wo, bq, bk, bv, bo]);
        var wks = Reference.Leaf(40, 4, 4);
        var wvs = Reference.Leaf(41, 4, 4);
        GradCheck.Check(t => F.MultiHeadAttention(t[0], null, t[1], t[2], t[3], t[4], 2), [x, wq, wks, wvs, wo]);
    }

    [Fact]
    public void BadShapesAreRejectedWithTheShapes()
    {
        var q = Tensor.Zeros([2, 3, 4]);
        var err = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros([2, 5, 3]), Tensor.Zeros([2, 5, 3])));
        Assert.Contains("[2, 5, 3]", err.Message);
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros([2, 5, 4]), Tensor.Zeros([2, 6, 4])));
        var mask = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros([2, 5, 4]), Tensor.Zeros([2, 5, 4]), Tensor.Zeros([4, 5])));
        Assert.Contains("[4, 5]", mask.Message);
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros([2, 5, 4], DType.Float64), Tensor.Zeros([2, 5, 4])));
        var w = Tensor.Zeros([6, 6]);
        Assert.Throws<ArgumentException>(() => F.MultiHeadAttention(Tensor.Zeros([2, 3, 6]), null, w, w, w, w, heads: 4));
        Assert.Throws<ArgumentException>(() => F.MultiHeadAttention(Tensor.Zeros([3, 6]), null, w, w, w, w, heads: 2));
    }
}
