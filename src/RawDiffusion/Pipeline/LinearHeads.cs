using RawDiffusion.Tasks;

namespace RawDiffusion.Pipeline;

/// <summary>A linear classifier over backbone features: logits = W x + b, W [C, F] row-major, b [C].</summary>
public sealed record LinearHead(float[] Weight, float[] Bias)
{
    public int Classes => Bias.Length;
    public int Features => Weight.Length / Bias.Length;

    /// <summary>The head as the named tensors of a one-layer architecture (e.g. linear-head's "1.weight", "1.bias").</summary>
    public Dictionary<string, float[]> ToTensors(string weightName, string biasName) => new() { [weightName] = Weight, [biasName] = Bias };

    /// <summary>Fraction of <paramref name="rows"/> whose largest logit is their label (ties go to the lower class, as argmax does).</summary>
    public double Accuracy(FeatureSet rows)
    {
        if (rows.FeatureLength != Features) throw new ArgumentException($"{rows.Source}: rows of {rows.FeatureLength} features, the head takes {Features}");
        int correct = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var x = rows.Row(i);
            int best = 0;
            double bestLogit = double.NegativeInfinity;
            for (int c = 0; c < Classes; c++)
            {
                double logit = Bias[c];
                for (int j = 0; j < Features; j++) logit += Weight[c * Features + j] * (double)x[j];
                if (logit > bestLogit) (best, bestLogit) = (c, logit);
            }
            if (best == rows.Labels[i]) correct++;
        }
        return rows.Count == 0 ? 0 : correct / (double)rows.Count;
    }
}

/// <summary>
/// What a user gets from the support examples alone, with no zoo and no generator (REFERENCE.md section 8), and the
/// support-set refinement of a generated head. Everything here sees only the K x C support rows.
/// </summary>
public static class FewShotHeads
{
    /// <summary>The prototype head (Snell et al. 2017): with class means mu_c, W_c = 2 mu_c and b_c = -|mu_c|^2, so the
    /// largest logit is the nearest class mean in squared Euclidean distance.</summary>
    public static LinearHead Prototype(FeatureSet support)
    {
        int classes = support.ClassCount, features = support.FeatureLength;
        var means = ClassMeans(support);
        var weight = new float[classes * features];
        var bias = new float[classes];
        for (int c = 0; c < classes; c++)
        {
            double norm = 0;
            for (int j = 0; j < features; j++)
            {
                weight[c * features + j] = (float)(2 * means[c, j]);
                norm += means[c, j] * means[c, j];
            }
            bias[c] = (float)-norm;
        }
        return new LinearHead(weight, bias);
    }

    /// <summary>
    /// A linear probe: multinomial logistic regression fitted on the support rows only, on features standardised with
    /// the support's own mean and standard deviation, L2-regularised, full-batch gradient descent from zero to
    /// convergence (the defaults are what a scikit-learn user gets in spirit: C = 1 / (n * weightDecay)); returned in
    /// raw feature coordinates.
    /// </summary>
    public static LinearHead Probe(FeatureSet support, int steps = 300, double learningRate = 0.1, double weightDecay = 1e-3)
    {
        int n = support.Count, features = support.FeatureLength, classes = support.ClassCount;
        var mean = new double[features];
        var std = new double[features];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < features; j++) mean[j] += support.Row(i)[j] / (double)n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < features; j++) std[j] += Math.Pow(support.Row(i)[j] - mean[j], 2) / n;
        for (int j = 0; j < features; j++) std[j] = Math.Sqrt(std[j]) + 1e-6;
        var standardized = new double[n * features];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < features; j++) standardized[i * features + j] = (support.Row(i)[j] - mean[j]) / std[j];
        var w = new double[classes * features];
        var b = new double[classes];
        GradientDescent(standardized, support.Labels, classes, features, w, b, steps, learningRate, weightDecay, null, null);
        // W x_std + b = (W / std) x + (b - (W / std) . mean).
        var weight = new float[classes * features];
        var bias = new float[classes];
        for (int c = 0; c < classes; c++)
        {
            double shift = b[c];
            for (int j = 0; j < features; j++)
            {
                double raw = w[c * features + j] / std[j];
                weight[c * features + j] = (float)raw;
                shift -= raw * mean[j];
            }
            bias[c] = (float)shift;
        }
        return new LinearHead(weight, bias);
    }

    /// <summary>
    /// Support-set refinement of a generated head: <paramref name="steps"/> full-batch gradient steps on the support
    /// rows' cross-entropy, starting from the head. It uses the same K x C examples the head was generated from and
    /// nothing else, so it is compared with the prototype head and the probe, which see exactly those rows.
    /// </summary>
    public static LinearHead Refine(LinearHead head, FeatureSet support, int steps, double learningRate)
    {
        int features = support.FeatureLength, classes = support.ClassCount;
        if (head.Features != features || head.Classes != classes)
            throw new ArgumentException($"a head of {head.Classes} x {head.Features} cannot be refined on {support.Source} ({classes} classes, {features} features)");
        var x = new double[support.Count * features];
        for (int i = 0; i < support.Count; i++)
            for (int j = 0; j < features; j++) x[i * features + j] = support.Row(i)[j];
        var w = head.Weight.Select(v => (double)v).ToArray();
        var b = head.Bias.Select(v => (double)v).ToArray();
        GradientDescent(x, support.Labels, classes, features, w, b, steps, learningRate, 0, null, null);
        return new LinearHead(w.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray());
    }

    /// <summary>Mean softmax cross-entropy of the rows under (w, b), plus weightDecay/2 |w|^2; the gradient when asked.</summary>
    public static double Loss(double[] x, int[] labels, int classes, int features, double[] w, double[] b, double weightDecay,
                              double[]? gradW = null, double[]? gradB = null)
    {
        int n = labels.Length;
        if (gradW != null) Array.Clear(gradW);
        if (gradB != null) Array.Clear(gradB);
        double loss = 0;
        var p = new double[classes];
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                double logit = b[c];
                for (int j = 0; j < features; j++) logit += w[c * features + j] * x[i * features + j];
                p[c] = logit;
                max = Math.Max(max, logit);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += p[c] = Math.Exp(p[c] - max);
            loss += -(Math.Log(p[labels[i]] / sum)) / n;
            if (gradW == null || gradB == null) continue;
            for (int c = 0; c < classes; c++)
            {
                double g = (p[c] / sum - (c == labels[i] ? 1 : 0)) / n;
                gradB[c] += g;
                for (int j = 0; j < features; j++) gradW[c * features + j] += g * x[i * features + j];
            }
        }
        double decay = 0;
        for (int k = 0; k < w.Length; k++)
        {
            decay += w[k] * w[k];
            if (gradW != null) gradW[k] += weightDecay * w[k];
        }
        return loss + weightDecay / 2 * decay;
    }

    static void GradientDescent(double[] x, int[] labels, int classes, int features, double[] w, double[] b, int steps, double learningRate,
                                double weightDecay, double[]? gradW, double[]? gradB)
    {
        gradW ??= new double[w.Length];
        gradB ??= new double[b.Length];
        for (int step = 0; step < steps; step++)
        {
            Loss(x, labels, classes, features, w, b, weightDecay, gradW, gradB);
            for (int k = 0; k < w.Length; k++) w[k] -= learningRate * gradW[k];
            for (int c = 0; c < classes; c++) b[c] -= learningRate * gradB[c];
        }
    }

    /// <summary>Each class's mean row [classes, features] (the prototypes).</summary>
    public static double[,] ClassMeans(FeatureSet rows)
    {
        var means = new double[rows.ClassCount, rows.FeatureLength];
        var counts = new int[rows.ClassCount];
        for (int i = 0; i < rows.Count; i++)
        {
            counts[rows.Labels[i]]++;
            for (int j = 0; j < rows.FeatureLength; j++) means[rows.Labels[i], j] += rows.Row(i)[j];
        }
        for (int c = 0; c < rows.ClassCount; c++)
        {
            if (counts[c] == 0) throw new ArgumentException($"{rows.Source}: class {c} ({rows.ClassNames[c]}) has no support example");
            for (int j = 0; j < rows.FeatureLength; j++) means[c, j] /= counts[c];
        }
        return means;
    }
}
