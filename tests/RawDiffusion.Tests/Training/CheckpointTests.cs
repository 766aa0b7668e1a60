using RawDiffusion.IO;
using RawDiffusion.Nn;
using RawDiffusion.Tests.IO;
using RawDiffusion.Tests.Testing;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Tests.Training;

public class CheckpointTests
{
    /// <summary>Two linear layers and a buffer that training updates, like a norm's running statistics.</summary>
    sealed class Net : Module
    {
        public Net(ulong seed, int hidden = 6, bool extraLayer = false)
        {
            var g = new Generator(seed);
            Body = RegisterModule("body", new Sequential(new Linear(4, hidden, generator: g), new Activation("square", t => t * t), new Linear(hidden, 2, generator: g)));
            if (extraLayer) RegisterModule("extra", new Linear(2, 2, generator: g));
            using (DisposeScope.Suspend()) Running = RegisterBuffer("running", Tensor.Zeros([2]));
        }

        public Sequential Body { get; }
        public Tensor Running { get; }

        public Tensor Forward(Tensor x) => Body.Forward(x);
    }

    static void TrainStep(Net net, Optimizer optimizer, Ema? ema, int seed)
    {
        using (DisposeScope.Enter())
        {
            optimizer.ZeroGrad();
            var x = Reference.Float(seed, 5, 4);
            var diff = net.Forward(x) - Reference.Float(seed + 1000, 5, 2);
            (diff * diff).Sum().Backward();
            optimizer.Step();
            ema?.Update();
            net.Running.AddInPlace(Tensor.Full([2], 0.5));
        }
    }

    static float[][] Values(Module m) => m.StateDict().Values.Select(t => t.ToFloat32Array()).ToArray();

    [Fact]
    public void RoundTripRestoresEverythingBitForBitAndTrainingContinuesExactly()
    {
        using var folder = new TempFolder();
        string path = folder.File("ckpt.safetensors");
        using var net = new Net(1);
        using var optimizer = new AdamW([new ParameterGroup(net.Body[0].Parameters()), new ParameterGroup(net.Body[2].Parameters(), weightDecay: 0)], 1e-2);
        using var ema = new Ema(net, 0.9);
        for (int s = 0; s < 3; s++) TrainStep(net, optimizer, ema, s);
        optimizer.LearningRate = 3e-3;
        Checkpoint.Save(path, net, optimizer, ema, metadata: new Dictionary<string, string> { ["config"] = "{\"channels\": 6}" });

        using var resumed = new Net(2);
        using var resumedOptimizer = new AdamW([new ParameterGroup(resumed.Body[0].Parameters()), new ParameterGroup(resumed.Body[2].Parameters(), weightDecay: 0)], 1);
        using var resumedEma = new Ema(resumed, 0.9);
        Assert.NotEqual(Values(net)[0], Values(resumed)[0]);
        var info = Checkpoint.Load(path, resumed, resumedOptimizer, resumedEma);

        Assert.Equal(3, info.Step);
        Assert.Equal("{\"channels\": 6}", info.Metadata["config"]);
        Assert.Equal(Values(net), Values(resumed));
        Assert.Equal(3, resumedOptimizer.StepCount);
        Assert.Equal(3e-3, resumedOptimizer.ParamGroups[0].LearningRate);
        Assert.Equal(0, resumedOptimizer.ParamGroups[1].WeightDecay);
        Assert.Equal(0.01, resumedOptimizer.ParamGroups[0].WeightDecay);
        Assert.Equal(3, resumedEma.NumUpdates);
        foreach (var (name, average) in ema.StateDict()) Assert.Equal(average.ToFloat32Array(), resumedEma.StateDict()[name].ToFloat32Array());

        for (int s = 3; s < 6; s++)
        {
            TrainStep(net, optimizer, ema, s);
            TrainStep(resumed, resumedOptimizer, resumedEma, s);
            Assert.Equal(Values(net), Values(resumed));
            foreach (var (name, average) in ema.StateDict()) Assert.Equal(average.ToFloat32Array(), resumedEma.StateDict()[name].ToFloat32Array());
        }
    }

    [Fact]
    public void TheFileUsesReadableNamesAndJsonMetadata()
    {
        using var folder = new TempFolder();
        string path = folder.File("named.safetensors");
        using var net = new Net(3);
        using var optimizer = new Sgd(net.Parameters(), 0.1, momentum: 0.9);
        TrainStep(net, optimizer, null, 1);
        Checkpoint.Save(path, net, optimizer, step: 42);
        using var file = SafeTensorsFile.Open(path);
        var names = file.Tensors.Select(t => t.Name).ToHashSet();
        Assert.Contains("model.body.0.weight", names);
        Assert.Contains("model.running", names);
        Assert.Contains("optim.body.2.bias.momentum_buffer", names);
        Assert.DoesNotContain(names, n => n.StartsWith("ema.", StringComparison.Ordinal));
        Assert.Equal("42", file.Metadata["step"]);
        Assert.Equal(Checkpoint.FormatValue, file.Metadata["format"]);
        Assert.Contains("\"algorithm\":\"Sgd\"", file.Metadata["optimizer"]);
        Assert.Contains("\"momentum\":0.9", file.Metadata["optimizer"]);
        Assert.Equal(net.Body[0].Parameters().First().ToFloat32Array(), file.ReadFloat32("model.body.0.weight"));
    }

    [Fact]
    public void MissingUnexpectedAndMisshapenKeysAreRejectedNamingTheKeyAndTheFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("small.safetensors");
        using var saved = new Net(4);
        Checkpoint.Save(path, saved);

        using var bigger = new Net(5, extraLayer: true);
        var before = Values(bigger);
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, bigger)).Message;
        Assert.StartsWith("small.safetensors: ", error);
        Assert.Contains("missing key(s) 'model.extra.weight', 'model.extra.bias'", error);
        Assert.Equal(before, Values(bigger));

        string biggerPath = folder.File("big.safetensors");
        Checkpoint.Save(biggerPath, bigger);
        using var smaller = new Net(6);
        error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(biggerPath, smaller)).Message;
        Assert.StartsWith("big.safetensors: ", error);
        Assert.Contains("unexpected key(s) 'model.extra.weight', 'model.extra.bias'", error);

        using var wide = new Net(7, hidden: 8);
        var wideBefore = Values(wide);
        error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, wide)).Message;
        Assert.StartsWith("small.safetensors: ", error);
        Assert.Contains("'model.body.0.weight' has shape [6, 4] in the file but [8, 4] is expected", error);
        Assert.Equal(wideBefore, Values(wide));

        var extraBefore = bigger.StateDict()["extra.weight"].ToFloat32Array();
        var partial = Checkpoint.Load(path, bigger, strict: false);
        foreach (var (key, t) in saved.StateDict()) Assert.Equal(t.ToFloat32Array(), bigger.StateDict()[key].ToFloat32Array());
        Assert.Equal(extraBefore, bigger.StateDict()["extra.weight"].ToFloat32Array());
        Assert.Equal(0, partial.Step);
    }

    [Fact]
    public void OptimizerAndEmaStateMustBePresentAndOfTheSameKind()
    {
        using var folder = new TempFolder();
        string path = folder.File("adam.safetensors");
        using var net = new Net(8);
        using var adam = new Adam(net.Parameters());
        TrainStep(net, adam, null, 1);
        Checkpoint.Save(path, net, adam);

        using var other = new Net(9);
        var before = Values(other);
        using var sgd = new Sgd(other.Parameters());
        Assert.Contains("holds Adam optimizer state, cannot load it into Sgd", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, other, sgd)).Message);
        using var ema = new Ema(other);
        Assert.Contains("has no 'ema' metadata", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, other, ema: ema)).Message);
        using var grouped = new Adam([new ParameterGroup(other.Body[0].Parameters()), new ParameterGroup(other.Body[2].Parameters())]);
        Assert.Contains("holds 1 optimizer parameter group(s), the optimizer has 2", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, other, grouped)).Message);
        Assert.Equal(before, Values(other));

        string bare = folder.File("bare.safetensors");
        Checkpoint.Save(bare, net);
        using var adam2 = new Adam(other.Parameters());
        Assert.Contains("bare.safetensors: has no 'optimizer' metadata", Assert.Throws<CheckpointException>(() => Checkpoint.Load(bare, other, adam2)).Message);
    }

    [Fact]
    public void AFailedSaveLeavesTheExistingCheckpointIntactAndNoTemporaryFiles()
    {
        using var folder = new TempFolder();
        string path = folder.File("keep.safetensors");
        using var net = new Net(10);
        Checkpoint.Save(path, net);
        var bytes = File.ReadAllBytes(path);

        var broken = new Net(11);
        broken.Body[2].Parameters().First().Dispose();
        Assert.Throws<ObjectDisposedException>(() => Checkpoint.Save(path, broken));
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(path, net, metadata: new Dictionary<string, string> { ["step"] = "1" }));
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal(["keep.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));

        using var again = new Net(12);
        Checkpoint.Load(path, again);
        Assert.Equal(Values(net), Values(again));
    }
}
