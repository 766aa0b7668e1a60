using RawDiffusion.Backends;
using RawDiffusion.Data;

namespace RawDiffusion.Tasks;

/// <summary>
/// Labelled examples as rows of floats: raw pixels (SampleShape [1, H, W]) or features from a frozen backbone
/// (SampleShape [F]). The one data type tasks, zoo training, conditions and evaluation share.
/// </summary>
public sealed class FeatureSet
{
    public FeatureSet(float[] features, int[] labels, int[] sampleShape, IReadOnlyList<string> classNames, string source = "features")
    {
        Source = source;
        SampleShape = sampleShape.ToArray();
        FeatureLength = sampleShape.Aggregate(1, (a, b) => a * b);
        if (FeatureLength < 1) throw new ArgumentException($"{source}: sample shape [{string.Join(", ", sampleShape)}] is empty");
        if (features.Length != (long)labels.Length * FeatureLength)
            throw new ArgumentException($"{source}: {features.Length} values do not make {labels.Length} rows of {FeatureLength}");
        ClassNames = classNames.ToArray();
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)ClassNames.Count)
                throw new ArgumentException($"{source}: label {labels[i]} of row {i} is not a class (0..{ClassNames.Count - 1})");
        Features = features;
        Labels = labels;
    }

    /// <summary>Where the rows came from (a file name or a description), for error messages.</summary>
    public string Source { get; }
    public float[] Features { get; }
    public int[] Labels { get; }
    public int[] SampleShape { get; }
    public int FeatureLength { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Count => Labels.Length;
    public int ClassCount => ClassNames.Count;

    public ReadOnlySpan<float> Row(int index) => Features.AsSpan(index * FeatureLength, FeatureLength);

    /// <summary>Raw pixels in [0, 1], shaped [1, H, W] per example.</summary>
    public static FeatureSet FromImages(LabeledImages images, string source = "images") =>
        new(images.Pixels, images.Labels, [1, images.Height, images.Width], images.ClassNames, source);

    /// <summary>The rows at <paramref name="indices"/>, in that order.</summary>
    public FeatureSet Select(IReadOnlyList<int> indices)
    {
        var features = new float[indices.Count * FeatureLength];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Row(indices[i]).CopyTo(features.AsSpan(i * FeatureLength));
            labels[i] = Labels[indices[i]];
        }
        return new FeatureSet(features, labels, SampleShape, ClassNames, Source);
    }

    /// <summary>The rows of the task's classes, relabelled 0..k-1 in the task's class order.</summary>
    public FeatureSet ForTask(TaskSpec task)
    {
        var newLabel = Enumerable.Repeat(-1, ClassCount).ToArray();
        for (int j = 0; j < task.Classes.Length; j++)
        {
            if ((uint)task.Classes[j] >= (uint)ClassCount)
                throw new ArgumentException($"task {task.Id}: class {task.Classes[j]} is not a class of {Source} (0..{ClassCount - 1})");
            newLabel[task.Classes[j]] = j;
        }
        var keep = Enumerable.Range(0, Count).Where(i => newLabel[Labels[i]] >= 0).ToArray();
        var kept = Select(keep);
        var labels = kept.Labels.Select(l => newLabel[l]).ToArray();
        return new FeatureSet(kept.Features, labels, SampleShape, task.ClassNames, $"{Source} [{task.Id}]");
    }

    /// <summary>Row indices grouped by class: [class][row].</summary>
    public int[][] IndicesByClass()
    {
        var groups = Enumerable.Range(0, ClassCount).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < Count; i++) groups[Labels[i]].Add(i);
        return groups.Select(g => g.ToArray()).ToArray();
    }

    /// <summary>
    /// The support set a dataset condition is made of: <paramref name="perClass"/> rows of every class drawn at
    /// random, as [classes, perClass, FeatureLength] values in class order.
    /// </summary>
    public float[] SupportSet(int perClass, Generator generator)
    {
        var rows = SupportIndices(perClass, generator);
        var result = new float[rows.Length * FeatureLength];
        for (int i = 0; i < rows.Length; i++) Row(rows[i]).CopyTo(result.AsSpan(i * FeatureLength));
        return result;
    }

    /// <summary>The rows <see cref="SupportSet"/> draws with the same generator state: [classes * perClass] indices, class by class.</summary>
    public int[] SupportIndices(int perClass, Generator generator)
    {
        var groups = IndicesByClass();
        var result = new int[ClassCount * perClass];
        for (int c = 0; c < ClassCount; c++)
        {
            if (groups[c].Length < perClass)
                throw new InvalidOperationException($"{Source}: class {c} ({ClassNames[c]}) has {groups[c].Length} examples, fewer than the {perClass} a support set needs");
            var chosen = generator.Permutation(groups[c].Length);
            for (int k = 0; k < perClass; k++) result[c * perClass + k] = groups[c][chosen[k]];
        }
        return result;
    }

    /// <summary>Examples [n, ...SampleShape] and Int32 labels [n] for the given rows.</summary>
    public (Tensor Inputs, Tensor Labels) Batch(ReadOnlySpan<int> indices, IBackend? backend = null)
    {
        var x = new float[indices.Length * FeatureLength];
        var y = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Row(indices[i]).CopyTo(x.AsSpan(i * FeatureLength));
            y[i] = Labels[indices[i]];
        }
        int[] shape = [indices.Length, .. SampleShape];
        return (Tensor.FromSpan<float>(x, shape, DType.Float32, backend), Tensor.FromSpan<int>(y, [indices.Length], DType.Int32, backend));
    }
}
