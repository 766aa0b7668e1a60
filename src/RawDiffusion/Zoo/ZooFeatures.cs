namespace RawDiffusion.Zoo;

/// <summary>
/// What the zoo's networks take as input: raw "pixels" (SampleShape [1, H, W]) or "backbone" features ([F]) computed
/// by a frozen backbone stored beside the zoo. Later stages must feed generated networks the same kind of rows.
/// </summary>
public sealed record ZooFeatures
{
    public const string PixelsKind = "pixels", BackboneKind = "backbone";

    public string Kind { get; init; } = PixelsKind;
    /// <summary>Values per example (the product of <see cref="SampleShape"/>).</summary>
    public int Length { get; init; }
    public int[] SampleShape { get; init; } = [];
    /// <summary>The backbone file, relative to the zoo folder; only for "backbone" features, and optional there.</summary>
    public string? Backbone { get; init; }

    /// <summary>Raw pixels of single-channel images of the given size.</summary>
    public static ZooFeatures Pixels(int height, int width) => new() { Kind = PixelsKind, Length = height * width, SampleShape = [1, height, width] };

    /// <summary>Feature vectors of the given length from a backbone (file relative to the zoo folder, if any).</summary>
    public static ZooFeatures FromBackbone(int length, string? backboneFile = null) =>
        new() { Kind = BackboneKind, Length = length, SampleShape = [length], Backbone = backboneFile };

    /// <summary>
    /// The input an architecture takes when nothing says otherwise: image networks and 784-input MLPs take 28x28
    /// pixels (MNIST-sized images), other MLPs backbone features of their input length.
    /// </summary>
    public static ZooFeatures Default(TargetArchitecture architecture) => architecture.Kind switch
    {
        TargetArchitecture.MlpKind when architecture.Inputs == 28 * 28 => Pixels(28, 28),
        TargetArchitecture.MlpKind => FromBackbone(architecture.Inputs),
        _ => Pixels(architecture.ImageSize, architecture.ImageSize),
    };

    public void Validate(string source)
    {
        string Where(string field) => $"{source}: field \"features.{field}\"";
        if (Kind is not (PixelsKind or BackboneKind))
            throw new FormatException($"{Where("kind")}: unknown kind \"{Kind}\" (choose from {PixelsKind}, {BackboneKind})");
        if (SampleShape.Length == 0 || SampleShape.Any(d => d < 1))
            throw new FormatException($"{Where("sampleShape")} must list positive sizes (got [{string.Join(", ", SampleShape)}])");
        long product = SampleShape.Aggregate(1L, (a, b) => a * b);
        if (Length < 1 || product != Length)
            throw new FormatException($"{Where("length")} must be the product of sampleShape [{string.Join(", ", SampleShape)}] = {product} (got {Length})");
        if (Backbone != null && Kind != BackboneKind)
            throw new FormatException($"{Where("backbone")}: only \"{BackboneKind}\" features have a backbone file");
        if (Backbone != null && (Backbone.Length == 0 || Path.IsPathRooted(Backbone)))
            throw new FormatException($"{Where("backbone")} must be a file name relative to the zoo folder (got \"{Backbone}\")");
    }
}
