using System.Runtime.InteropServices;

namespace RawDiffusion.Data;

/// <summary>
/// Same-sized greyscale images with one class label each, in the form a training loop consumes:
/// pixels as floats in [0, 1], row-major [Count, Height * Width]. Selection methods return new
/// sets with their own arrays and leave this one untouched; Pixels and Labels are exposed as
/// arrays so training code can read them without copies, and are not meant to be written.
/// </summary>
public sealed class LabeledImages
{
    private static readonly float[] ByteToUnit = Enumerable.Range(0, 256).Select(b => b / 255f).ToArray();

    private readonly string[] _classNames;

    /// <summary>Validates and wraps the arrays (they are not copied).</summary>
    public LabeledImages(int height, int width, float[] pixels, int[] labels, IReadOnlyList<string> classNames)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0)
            throw new ArgumentException("At least one class name is needed.", nameof(classNames));
        if ((long)labels.Length * height * width != pixels.Length)
            throw new ArgumentException(
                $"{labels.Length} labelled images of {height}x{width} need {(long)labels.Length * height * width} pixels, got {pixels.Length}.", nameof(pixels));
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"Label {labels[i]} of image {i} is not a class index (0..{classNames.Count - 1}).", nameof(labels));
        }
        for (int i = 0; i < pixels.Length; i++)
        {
            // The negated comparison also rejects NaN.
            if (!(pixels[i] >= 0f && pixels[i] <= 1f))
                throw new ArgumentException($"Pixel {i % (height * width)} of image {i / (height * width)} is {pixels[i]}, outside [0, 1].", nameof(pixels));
        }
        Height = height;
        Width = width;
        Pixels = pixels;
        Labels = labels;
        _classNames = classNames.ToArray();
    }

    // For sets derived from an already validated one (same image size, labels and pixels taken from
    // it): skips the checks and takes ownership of the arrays.
    private LabeledImages(LabeledImages source, float[] pixels, int[] labels, string[] classNames)
    {
        Height = source.Height;
        Width = source.Width;
        Pixels = pixels;
        Labels = labels;
        _classNames = classNames;
    }

    /// <summary>Converts 8-bit images and labels, mapping grey level b to b / 255.</summary>
    public static LabeledImages FromBytes(ByteImages images, ReadOnlySpan<byte> labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (labels.Length != images.Count)
            throw new ArgumentException($"{images.Count} images but {labels.Length} labels.", nameof(labels));
        var pixels = new float[images.Pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = ByteToUnit[images.Pixels[i]];
        var intLabels = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
            intLabels[i] = labels[i];
        return new LabeledImages(images.Height, images.Width, pixels, intLabels, classNames);
    }

    public int Count => Labels.Length;
    public int Height { get; }
    public int Width { get; }
    public int PixelsPerImage => Height * Width;
    public int ClassCount => _classNames.Length;

    /// <summary>Row-major [Count, Height * Width], each value in [0, 1].</summary>
    public float[] Pixels { get; }

    /// <summary>Class index of each image, in 0..ClassCount-1.</summary>
    public int[] Labels { get; }

    public IReadOnlyList<string> ClassNames => Array.AsReadOnly(_classNames);

    public ReadOnlySpan<float> Image(int index)
    {
        CheckIndex(index);
        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>Number of images of each class, indexed by label.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int label in Labels)
            counts[label]++;
        return counts;
    }

    /// <summary>The images at <paramref name="indices"/>, in that order; an index may repeat.</summary>
    public LabeledImages Select(IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int[] chosen = indices.ToArray();
        foreach (int index in chosen)
            CheckIndex(index);
        var pixels = new float[chosen.Length * PixelsPerImage];
        var labels = new int[chosen.Length];
        GetBatch(chosen, pixels, labels);
        return new LabeledImages(this, pixels, labels, _classNames);
    }

    /// <summary>The images whose label satisfies <paramref name="keepClass"/>, in order; labels and class names stay as they are.</summary>
    public LabeledImages WhereClass(Func<int, bool> keepClass)
    {
        ArgumentNullException.ThrowIfNull(keepClass);
        var keep = new bool[ClassCount];
        for (int c = 0; c < keep.Length; c++)
            keep[c] = keepClass(c);
        return Select(Enumerable.Range(0, Count).Where(i => keep[Labels[i]]));
    }

    /// <summary>
    /// The images of the given classes, in order. With <paramref name="relabel"/> the labels become
    /// 0..k-1 following the order of <paramref name="classes"/> and ClassNames shrinks to match, as a
    /// k-way classifier needs; without it labels and class names are kept.
    /// </summary>
    public LabeledImages FilterClasses(int[] classes, bool relabel)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Length == 0)
            throw new ArgumentException("At least one class is needed.", nameof(classes));
        var newLabel = new int[ClassCount];
        Array.Fill(newLabel, -1);
        for (int k = 0; k < classes.Length; k++)
        {
            int c = classes[k];
            if ((uint)c >= (uint)ClassCount)
                throw new ArgumentOutOfRangeException(nameof(classes), $"Class {c} is not a class index (0..{ClassCount - 1}).");
            if (newLabel[c] >= 0)
                throw new ArgumentException($"Class {c} is listed twice.", nameof(classes));
            newLabel[c] = k;
        }
        var kept = WhereClass(c => newLabel[c] >= 0);
        if (!relabel)
            return kept;
        int[] labels = kept.Labels.Select(label => newLabel[label]).ToArray();
        return new LabeledImages(this, kept.Pixels, labels, classes.Select(c => _classNames[c]).ToArray());
    }

    /// <summary>
    /// A class-balanced sample: <paramref name="perClass"/> images drawn at random (by
    /// <paramref name="seed"/>) from every class that has images, returned in their original order.
    /// Classes with no images stay absent; a class with some but fewer than requested is an error.
    /// </summary>
    public LabeledImages TakePerClass(int perClass, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perClass);
        var membersOfClass = new List<int>[ClassCount];
        for (int c = 0; c < ClassCount; c++)
            membersOfClass[c] = [];
        for (int i = 0; i < Count; i++)
            membersOfClass[Labels[i]].Add(i);

        var random = new SplitMix64(seed);
        var chosen = new List<int>();
        for (int c = 0; c < ClassCount; c++)
        {
            var members = membersOfClass[c];
            if (members.Count == 0)
                continue;
            if (members.Count < perClass)
                throw new InvalidOperationException($"Class {c} ({_classNames[c]}) has {members.Count} images, fewer than the {perClass} requested.");
            random.Shuffle(CollectionsMarshal.AsSpan(members));
            chosen.AddRange(members.Take(perClass));
        }
        chosen.Sort();
        return Select(chosen);
    }

    /// <summary>All images in an order that depends only on <paramref name="seed"/>.</summary>
    public LabeledImages Shuffle(int seed)
    {
        int[] order = Enumerable.Range(0, Count).ToArray();
        new SplitMix64(seed).Shuffle(order.AsSpan());
        return Select(order);
    }

    /// <summary>
    /// Copies images start..start+count-1 into the first count*PixelsPerImage floats of
    /// <paramref name="pixels"/> and their labels into the first count entries of <paramref name="labels"/>.
    /// </summary>
    public void GetBatch(int start, int count, Span<float> pixels, Span<int> labels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Images {start}..{start + count - 1} run past the {Count} images.");
        CheckBatchBuffers(count, pixels, labels);
        Pixels.AsSpan(start * PixelsPerImage, count * PixelsPerImage).CopyTo(pixels);
        Labels.AsSpan(start, count).CopyTo(labels);
    }

    /// <summary>Copies the images at <paramref name="indices"/> (e.g. a random minibatch) and their labels, in that order.</summary>
    public void GetBatch(ReadOnlySpan<int> indices, Span<float> pixels, Span<int> labels)
    {
        CheckBatchBuffers(indices.Length, pixels, labels);
        int size = PixelsPerImage;
        for (int b = 0; b < indices.Length; b++)
        {
            int index = indices[b];
            CheckIndex(index);
            Pixels.AsSpan(index * size, size).CopyTo(pixels.Slice(b * size, size));
            labels[b] = Labels[index];
        }
    }

    private void CheckBatchBuffers(int count, Span<float> pixels, Span<int> labels)
    {
        if (pixels.Length < (long)count * PixelsPerImage)
            throw new ArgumentException($"A batch of {count} images needs {(long)count * PixelsPerImage} floats, the buffer has {pixels.Length}.", nameof(pixels));
        if (labels.Length < count)
            throw new ArgumentException($"A batch of {count} images needs {count} labels, the buffer has {labels.Length}.", nameof(labels));
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"Image index {index} is outside 0..{Count - 1}.");
    }
}
