namespace RawDiffusion.IO;

/// <summary>One tensor to write: row-major <paramref name="Data"/> whose length must equal the product of <paramref name="Shape"/>.</summary>
public sealed record SafeTensorEntry(string Name, long[] Shape, float[] Data);
