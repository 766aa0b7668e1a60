using RawDiffusion.Nn;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Training;

public class ModuleTests
{
    /// <summary>A stand-in for a model block: own parameter, a buffer, children and a Sequential.</summary>
    sealed class Block : Module
    {
        public Block(Generator g)
        {
            using (DisposeScope.Suspend())
            {
                Scale = RegisterParameter("scale", Tensor.Ones([4]));
                RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([4]));
            }
            Proj = RegisterModule("proj", new Linear(4, 3, generator: g));
            Down = RegisterModule("down", new Sequential(new Linear(3, 2, generator: g), new Activation("neg", x => -x), new Linear(2, 2, bias: false, generator: g)));
        }

        public Tensor Scale { get; }
        public Tensor RunningMean { get; }
        public Linear Proj { get; }
        public Sequential Down { get; }
    }

    sealed class Outer : Module
    {
        public Outer(Generator g)
        {
            First = RegisterModule("first", new Block(g));
            Head = RegisterModule("head", new Linear(2, 1, generator: g));
        }

        public Block First { get; }
        public Linear Head { get; }

        public void Register(string name, Tensor t) => RegisterParameter(name, t);
    }

    static readonly string[] ExpectedParameters =
    [
        "first.scale", "first.proj.weight", "first.proj.bias", "first.down.0.weight", "first.down.0.bias",
        "first.down.2.weight", "head.weight", "head.bias",
    ];

    [Fact]
    public void NamesAreDottedInRegistrationOrderAndTheStateDictFollowsPyTorchOrder()
    {
        using var model = new Outer(new Generator(1));
        Assert.Equal(ExpectedParameters, model.NamedParameters().Select(p => p.Key));
        Assert.Equal(["first.running_mean"], model.NamedBuffers().Select(b => b.Key));
        Assert.Equal(
            ["first.scale", "first.running_mean", "first.proj.weight", "first.proj.bias", "first.down.0.weight", "first.down.0.bias", "first.down.2.weight", "head.weight", "head.bias"],
            model.StateDict().Keys);
        Assert.Equal(4 + 12 + 3 + 6 + 2 + 4 + 2 + 1, model.ParameterCount);
        Assert.Equal(["", "first", "first.proj", "first.down", "first.down.0", "first.down.1", "first.down.2", "head"], model.NamedModules().Select(m => m.Key));
        Assert.Same(model.First.Proj.Weight, model.StateDict()["first.proj.weight"]);
    }

    [Fact]
    public void ParametersAreLeavesThatRequireGradAndOutliveTheScopeTheyWereMadeIn()
    {
        Outer model;
        using (DisposeScope.Enter())
        {
            model = new Outer(new Generator(2));
            model.Register("extra", Tensor.Ones([2]));
        }
        foreach (var p in model.Parameters())
        {
            Assert.False(p.IsDisposed);
            Assert.True(p.IsLeaf);
            Assert.True(p.RequiresGrad);
        }
        Assert.False(model.First.RunningMean.RequiresGrad);
        Assert.False(model.First.RunningMean.IsDisposed);
        var weights = model.Parameters().ToList();
        model.Dispose();
        Assert.All(weights, p => Assert.True(p.IsDisposed));
    }

    [Fact]
    public void RegistrationRejectsBadNamesAndTensors()
    {
        using var model = new Outer(new Generator(3));
        Assert.Contains("already has", Assert.Throws<ArgumentException>(() => model.Register("head", Tensor.Ones([1]))).Message);
        Assert.Contains("'.'", Assert.Throws<ArgumentException>(() => model.Register("a.b", Tensor.Ones([1]))).Message);
        var x = Reference.Leaf(1, 3);
        Assert.Contains("leaf", Assert.Throws<ArgumentException>(() => model.Register("y", x * 2)).Message);
        Assert.Contains("contiguous", Assert.Throws<ArgumentException>(() => model.Register("t", Tensor.Ones([2, 3]).Transpose(0, 1).Detach())).Message);
        Assert.Contains("floating", Assert.Throws<ArgumentException>(() => model.Register("i", Tensor.FromArray(new[] { 1, 2 }, 2))).Message);
    }

    [Fact]
    public void TrainEvalAndZeroGradReachEveryDescendant()
    {
        using var model = new Outer(new Generator(4));
        Assert.True(model.First.Down[2].IsTraining);
        model.Eval();
        Assert.All(model.NamedModules(), m => Assert.False(m.Value.IsTraining));
        model.Train();
        Assert.All(model.NamedModules(), m => Assert.True(m.Value.IsTraining));

        var x = Reference.Float(5, 2, 4);
        var y = model.Head.Forward(model.First.Down.Forward(model.First.Proj.Forward(x)));
        y.Sum().Backward();
        Assert.NotNull(model.Head.Weight.Grad);
        Assert.NotNull(model.First.Proj.Weight.Grad);
        model.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void LoadStateDictCopiesValuesAndConvertsDtype()
    {
        using var source = new Outer(new Generator(5));
        using var target = new Outer(new Generator(6));
        source.First.RunningMean.Fill(0.5);
        Assert.NotEqual(source.Head.Weight.ToFloat32Array(), target.Head.Weight.ToFloat32Array());
        var result = target.LoadStateDict(source.StateDict());
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        foreach (var (key, t) in source.StateDict())
        {
            Assert.Equal(t.ToFloat32Array(), target.StateDict()[key].ToFloat32Array());
            Assert.NotSame(t, target.StateDict()[key]);
        }

        var asDouble = source.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.ToFloat64Array(), kv.Value.ShapeArray));
        asDouble["head.bias"] = Tensor.FromArray(new[] { 0.25 }, 1);
        target.LoadStateDict(asDouble);
        Assert.Equal([0.25f], target.Head.Bias!.ToFloat32Array());
    }

    [Fact]
    public void LoadStateDictNamesMissingUnexpectedAndMismatchedKeysAndChangesNothingOnError()
    {
        using var model = new Outer(new Generator(7));
        var before = model.Head.Weight.ToFloat32Array();
        var state = model.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.Zeros(kv.Value.Shape));

        var missing = new Dictionary<string, Tensor>(state);
        missing.Remove("first.proj.bias");
        missing["first.extra"] = Tensor.Zeros([1]);
        var error = Assert.Throws<ArgumentException>(() => model.LoadStateDict(missing)).Message;
        Assert.Contains("missing key(s) 'first.proj.bias'", error);
        Assert.Contains("unexpected key(s) 'first.extra'", error);
        Assert.Equal(before, model.Head.Weight.ToFloat32Array());

        var wrongShape = new Dictionary<string, Tensor>(state) { ["first.down.0.weight"] = Tensor.Zeros([3, 2]) };
        error = Assert.Throws<ArgumentException>(() => model.LoadStateDict(wrongShape)).Message;
        Assert.Contains("'first.down.0.weight' has shape [3, 2] in the state dict but [2, 3] in the module", error);
        Assert.Equal(before, model.Head.Weight.ToFloat32Array());

        var result = model.LoadStateDict(missing, strict: false);
        Assert.Equal(["first.proj.bias"], result.MissingKeys);
        Assert.Equal(["first.extra"], result.UnexpectedKeys);
        Assert.All(model.Head.Weight.ToFloat32Array(), v => Assert.Equal(0f, v));
        Assert.NotEqual(0f, model.First.Proj.Bias!.ToFloat32Array().Select(Math.Abs).Max());
    }

    [Fact]
    public void SharedParametersAppearOnceInNamedParameters()
    {
        var shared = new Linear(2, 2, generator: new Generator(8));
        using var model = new Sequential(shared, shared);
        Assert.Equal(["0.weight", "0.bias"], model.NamedParameters().Select(p => p.Key));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], model.StateDict().Keys);
    }
}
