using RawDiffusion.Nn;
using RawDiffusion.Tests.Testing;
using RawDiffusion.Training;

namespace RawDiffusion.Tests.Training;

public class EmaTests
{
    static Sequential Model(ulong seed, DType dtype = DType.Float32)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(7, 5, generator: g, dtype: dtype), new Linear(5, 300, generator: g, dtype: dtype));
    }

    /// <summary>Perturbs every parameter as an optimizer step would.</summary>
    static void Perturb(Module model, int seed)
    {
        int i = 0;
        foreach (var p in model.Parameters())
        {
            var delta = Reference.RandomArray((int)p.Numel, seed * 100 + i++);
            using var d = p.DType == DType.Float64 ? Tensor.FromArray(delta, p.ShapeArray) : Tensor.FromArray(Array.ConvertAll(delta, v => (float)v), p.ShapeArray);
            p.AddInPlace(d, 0.1);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void UpdateMatchesLdmsLoop(bool warmup)
    {
        using var model = Model(1, DType.Float64);
        using var ema = new Ema(model, decay: 0.9, useWarmup: warmup);
        var names = model.NamedParameters().Select(p => p.Key).ToArray();
        var shadow = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value.ToFloat64Array());
        for (int n = 1; n <= 6; n++)
        {
            Perturb(model, n);
            double decay = warmup ? Math.Min(0.9, (1.0 + n) / (10.0 + n)) : 0.9;
            Assert.Equal(decay, ema.NextDecay, 15);
            ema.Update();
            foreach (var (name, p) in model.NamedParameters())
            {
                var current = p.ToFloat64Array();
                var s = shadow[name];
                for (int i = 0; i < s.Length; i++) s[i] -= (1 - decay) * (s[i] - current[i]);
                Reference.Close(s, ema.StateDict()[name].ToFloat64Array(), 1e-14, 1e-14, $"update {n} {name}");
            }
        }
        Assert.Equal(6, ema.NumUpdates);
        Assert.Equal(names, ema.StateDict().Keys);
    }

    [Fact]
    public void Float32UpdateIncludingTheParallelPathMatchesTheLoop()
    {
        using var model = new Linear(300, 120, generator: new Generator(2));
        using var ema = new Ema(model, 0.99);
        var shadow = model.Weight.ToFloat64Array();
        Perturb(model, 3);
        double decay = ema.NextDecay;
        ema.Update();
        var w = model.Weight.ToFloat64Array();
        for (int i = 0; i < w.Length; i++) shadow[i] -= (1 - decay) * (shadow[i] - w[i]);
        Reference.Close(shadow, ema.StateDict()["weight"].ToFloat64Array(), 1e-6, 1e-6);
    }

    [Fact]
    public void StoreCopyToAndRestoreSwapTheAveragedWeightsInAndOut()
    {
        using var model = Model(4);
        using var ema = new Ema(model, 0.5, useWarmup: false);
        Perturb(model, 1);
        ema.Update();
        Perturb(model, 2);
        var trained = model.Parameters().Select(p => p.ToFloat32Array()).ToArray();
        var averaged = ema.StateDict().Values.Select(s => s.ToFloat32Array()).ToArray();
        Assert.NotEqual(trained[0], averaged[0]);

        using (ema.AverageWeights())
            Assert.Equal(averaged, model.Parameters().Select(p => p.ToFloat32Array()).ToArray());
        Assert.Equal(trained, model.Parameters().Select(p => p.ToFloat32Array()).ToArray());

        using var copy = Model(5);
        ema.CopyTo(copy);
        Assert.Equal(averaged, copy.Parameters().Select(p => p.ToFloat32Array()).ToArray());
        Assert.Throws<InvalidOperationException>(() => ema.Restore());
        using var other = new Linear(7, 5);
        Assert.Contains("has no parameter '1.weight'", Assert.Throws<ArgumentException>(() => ema.CopyTo(new Sequential(other))).Message);
    }

    [Fact]
    public void StateDictLoadsIntoAFreshEmaAndRejectsMismatches()
    {
        using var model = Model(6);
        using var ema = new Ema(model, 0.9);
        Perturb(model, 1);
        ema.Update();
        ema.Update();
        using var fresh = new Ema(model, 0.9);
        fresh.LoadStateDict(ema.StateDict(), ema.NumUpdates);
        Assert.Equal(2, fresh.NumUpdates);
        Assert.Equal(ema.NextDecay, fresh.NextDecay);
        foreach (var (name, s) in ema.StateDict()) Assert.Equal(s.ToFloat32Array(), fresh.StateDict()[name].ToFloat32Array());

        var missing = ema.StateDict().Where(kv => kv.Key != "0.bias").ToDictionary();
        Assert.Contains("'0.bias'", Assert.Throws<ArgumentException>(() => fresh.LoadStateDict(missing, 1)).Message);
        var wrong = ema.StateDict().ToDictionary();
        wrong["0.bias"] = Tensor.Zeros([4]);
        Assert.Contains("'0.bias' of shape [4], the parameter has [5]", Assert.Throws<ArgumentException>(() => fresh.LoadStateDict(wrong, 1)).Message);
        Assert.Equal(2, fresh.NumUpdates);
    }
}
