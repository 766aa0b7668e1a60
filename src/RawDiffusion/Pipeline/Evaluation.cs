using RawDiffusion.Nn;
using RawDiffusion.Tasks;
using RawDiffusion.Training;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>Accuracy of named weights of an architecture on a task's held-out rows, with no fine-tuning or after some
/// epochs of fine-tuning on the task's training rows.</summary>
public static class Evaluation
{
    public static double Accuracy(TargetArchitecture architecture, IReadOnlyDictionary<string, float[]> weights, FeatureSet test)
    {
        using var scope = DisposeScope.Enter();
        using var model = architecture.Load(weights);
        return ClassifierTraining.Accuracy(model, test);
    }

    /// <summary>Test accuracy after <paramref name="epochs"/> epochs of AdamW on the training rows, starting from the weights.</summary>
    public static double FineTunedAccuracy(TargetArchitecture architecture, IReadOnlyDictionary<string, float[]> weights, FeatureSet train, FeatureSet test,
                                           int epochs, double learningRate, ulong seed)
    {
        using var scope = DisposeScope.Enter();
        using var model = architecture.Load(weights);
        if (epochs > 0) ClassifierTraining.Train(model, train, null, new ClassifierTrainingOptions { Epochs = epochs, LearningRate = learningRate, Seed = seed });
        return ClassifierTraining.Accuracy(model, test);
    }

    /// <summary>Freshly initialised weights (PyTorch's default initialisation) drawn from the seed.</summary>
    public static Dictionary<string, float[]> RandomWeights(TargetArchitecture architecture, ulong seed)
    {
        using var scope = DisposeScope.Enter();
        using var model = architecture.Build(new Generator(seed));
        return TargetArchitecture.ReadTensors(model);
    }
}
