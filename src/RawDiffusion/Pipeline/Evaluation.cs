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

    /// <summary>Test accuracy before fine-tuning and after each cumulative epoch count of <paramref name="epochs"/>
    /// (e.g. [1, 5, 25]): the zoo's optimiser (AdamW, its learning rate, batch size and weight decay) on the training
    /// rows, starting from the weights.</summary>
    public static double[] FineTuneCurve(TargetArchitecture architecture, IReadOnlyDictionary<string, float[]> weights, FeatureSet train, FeatureSet test,
                                         IReadOnlyList<int> epochs, ZooConfig zoo, ulong seed)
    {
        using var scope = DisposeScope.Enter();
        using var model = architecture.Load(weights);
        var curve = new double[epochs.Count + 1];
        curve[0] = ClassifierTraining.Accuracy(model, test);
        int done = 0;
        for (int i = 0; i < epochs.Count; i++)
        {
            ClassifierTraining.Train(model, train, null, new ClassifierTrainingOptions
            {
                Epochs = epochs[i] - done, LearningRate = zoo.LearningRate, BatchSize = zoo.BatchSize, WeightDecay = zoo.WeightDecay, Seed = seed + (ulong)done,
            });
            done = epochs[i];
            curve[i + 1] = ClassifierTraining.Accuracy(model, test);
        }
        return curve;
    }

    /// <summary>Freshly initialised weights (PyTorch's default initialisation) drawn from the seed.</summary>
    public static Dictionary<string, float[]> RandomWeights(TargetArchitecture architecture, ulong seed)
    {
        using var scope = DisposeScope.Enter();
        using var model = architecture.Build(new Generator(seed));
        return TargetArchitecture.ReadTensors(model);
    }
}
