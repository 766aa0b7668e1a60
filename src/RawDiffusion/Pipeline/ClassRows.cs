using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// Class-structured generation for linear heads (LEO's structure inside D2NWG): a head's weights are generated one
/// output row at a time, each row ([w_c, b_c], F + 1 values) conditioned on its own class's support examples and on
/// the task they sit in. Rows compose to class combinations and class orders no zoo task had, where a whole-head vector
/// conditioned on the whole task cannot.
///
/// Rows are centred across the classes of their head before they are learned: softmax is unchanged when the same
/// vector is added to every row, so the zoo's rows differ by an arbitrary shared offset that carries no information.
/// The condition of row c is [mu_c - mu, mu]: the class prototype relative to the mean of the task's prototypes, and
/// that mean (the task's context). Both come from the support examples alone.
/// </summary>
public static class ClassRows
{
    public const string Layout = "class-rows", ModelWiseLayout = "model-wise";

    /// <summary>The architecture's only layer, a Linear over the backbone features: (weight [C, F], bias [C]) names.</summary>
    public static (TensorSpec Weight, TensorSpec Bias) HeadTensors(TargetArchitecture architecture)
    {
        var tensors = architecture.Tensors;
        if (architecture.Kind != TargetArchitecture.MlpKind || architecture.Hidden.Length != 0 || tensors.Count != 2
            || tensors[0].Shape.Length != 2 || tensors[1].Shape.Length != 1 || tensors[0].Shape[0] != tensors[1].Shape[0])
            throw new ArgumentException($"vectors.layout \"{Layout}\" generates linear heads (one Linear layer, e.g. \"linear-head\"); zoo.architecture \"{architecture.Name}\" has " +
                                        $"{string.Join(", ", tensors)}; use vectors.layout \"{ModelWiseLayout}\" for it");
        return (tensors[0], tensors[1]);
    }

    /// <summary>The layout of one row: the class's F weights and its bias, zero-padded to <paramref name="padTo"/>.</summary>
    public static WeightVectorizer RowLayout(TargetArchitecture architecture, int padTo)
    {
        var (weight, _) = HeadTensors(architecture);
        int features = weight.Shape[1];
        if (padTo < features + 1)
            throw new ArgumentException($"model.vae.vectorLength {padTo} is shorter than one class row of \"{architecture.Name}\" ({features} weights + 1 bias)");
        return WeightVectorizer.ModelWise([new TensorSpec("weight", [features]), new TensorSpec("bias", [1])], padTo);
    }

    /// <summary>The head's rows, centred across classes: [C][F + 1] as row tensors of <see cref="RowLayout"/>.</summary>
    public static Dictionary<string, float[]>[] Split(TargetArchitecture architecture, IReadOnlyDictionary<string, float[]> head)
    {
        var (weightSpec, biasSpec) = HeadTensors(architecture);
        var weight = head[weightSpec.Name];
        var bias = head[biasSpec.Name];
        int classes = weightSpec.Shape[0], features = weightSpec.Shape[1];
        var meanRow = new double[features + 1];
        for (int c = 0; c < classes; c++)
        {
            for (int j = 0; j < features; j++) meanRow[j] += weight[c * features + j] / (double)classes;
            meanRow[features] += bias[c] / (double)classes;
        }
        return Enumerable.Range(0, classes).Select(c => new Dictionary<string, float[]>
        {
            ["weight"] = Enumerable.Range(0, features).Select(j => (float)(weight[c * features + j] - meanRow[j])).ToArray(),
            ["bias"] = [(float)(bias[c] - meanRow[features])],
        }).ToArray();
    }

    /// <summary>The head whose row c is <paramref name="rows"/>[c] (the inverse of <see cref="Split"/> up to the shared offset).</summary>
    public static Dictionary<string, float[]> Assemble(TargetArchitecture architecture, IReadOnlyList<IReadOnlyDictionary<string, float[]>> rows)
    {
        var (weightSpec, biasSpec) = HeadTensors(architecture);
        int classes = weightSpec.Shape[0], features = weightSpec.Shape[1];
        if (rows.Count != classes) throw new ArgumentException($"{rows.Count} rows for a head of {classes} classes");
        var weight = new float[classes * features];
        var bias = new float[classes];
        for (int c = 0; c < classes; c++)
        {
            rows[c]["weight"].AsSpan(0, features).CopyTo(weight.AsSpan(c * features));
            bias[c] = rows[c]["bias"][0];
        }
        return new Dictionary<string, float[]> { [weightSpec.Name] = weight, [biasSpec.Name] = bias };
    }

    /// <summary>Length of a row's condition for features of length F: the centred prototype and the task's mean prototype.</summary>
    public static int ConditionLength(int features) => 2 * features;

    /// <summary>Row conditions [sets, C, 2F] of support sets [sets, C, K, F].</summary>
    public static float[] Conditions(ReadOnlySpan<float> supports, int sets, int classes, int perClass, int features)
    {
        if (supports.Length != sets * classes * perClass * features)
            throw new ArgumentException($"support sets hold {supports.Length} values, not {sets} x {classes} classes x {perClass} examples x {features} features");
        int length = ConditionLength(features);
        var result = new float[sets * classes * length];
        var prototypes = new double[classes * features];
        var mean = new double[features];
        for (int s = 0; s < sets; s++)
        {
            Array.Clear(prototypes);
            Array.Clear(mean);
            for (int c = 0; c < classes; c++)
                for (int k = 0; k < perClass; k++)
                {
                    var row = supports.Slice(((s * classes + c) * perClass + k) * features, features);
                    for (int j = 0; j < features; j++) prototypes[c * features + j] += row[j] / (double)perClass;
                }
            for (int c = 0; c < classes; c++)
                for (int j = 0; j < features; j++) mean[j] += prototypes[c * features + j] / classes;
            for (int c = 0; c < classes; c++)
            {
                var destination = result.AsSpan((s * classes + c) * length, length);
                for (int j = 0; j < features; j++)
                {
                    destination[j] = (float)(prototypes[c * features + j] - mean[j]);
                    destination[features + j] = (float)mean[j];
                }
            }
        }
        return result;
    }
}
