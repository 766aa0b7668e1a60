namespace RawDiffusion.Models;

/// <summary>Maps a labelled support set, grouped by class in the task's class order, to one embedding per task.</summary>
public interface IDatasetEncoder
{
    DatasetEncoderConfig Config { get; }

    /// <param name="features">[B tasks, C classes, K examples, F features]; class c of every task is the task's c-th output.</param>
    /// <returns>[B, OutputLength]</returns>
    Tensor Forward(Tensor features);
}
