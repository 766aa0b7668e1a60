using System.Diagnostics;
using RawDiffusion.Data;
using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Tasks;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;
using RawDiffusion.Zoo;

namespace RawDiffusion.Trainer;

internal static class Proto
{
    static string Env(string k, string d) => Environment.GetEnvironmentVariable(k) ?? d;
    static int I(string k, int d) => int.Parse(Env(k, d.ToString()));
    static double D(string k, double d) => double.Parse(Env(k, d.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture);

    public static int Run()
    {
        var sw = Stopwatch.StartNew();
        void Log(string s) => Console.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {s}");
        var trainAll = FeatureSet.FromImages(Datasets.FashionMnist(Split.Train));
        var testAll = FeatureSet.FromImages(Datasets.FashionMnist(Split.Test));
        var perm = new Generator(7).Permutation(trainAll.Count);
        var backbonePart = trainAll.Select(perm[..8000]);
        var taskPart = trainAll.Select(perm[8000..]);
        using var backbone = FeatureBackbone.Train(backbonePart, [128, I("FEAT", 64)], new ClassifierTrainingOptions { Epochs = 3, LearningRate = 2e-3, Seed = 3 });
        var fTrain = backbone.Extract(taskPart);
        var fTest = backbone.Extract(testAll);
        var dTrain = backbone.Extract(FeatureSet.FromImages(Datasets.MnistDigits(Split.Train)));
        var dTest = backbone.Extract(FeatureSet.FromImages(Datasets.MnistDigits(Split.Test)));
        Log("backbone done");
        int k = I("K", 5);
        var names = Datasets.FashionMnistClassNames;
        var seen = TaskFamily.Draw("fashion-mnist", names, k, I("SEEN", 100), 1);
        var unseen = TaskFamily.Draw("fashion-mnist", names, k, 10, 2, seen);
        var cross = TaskFamily.Draw("mnist-digits", Datasets.DigitClassNames, k, 10, 3);
        var arch = TargetArchitecture.BuiltIn["linear-head"] with { Inputs = fTrain.FeatureLength, Classes = k };
        int seeds = I("SEEDS", 3), epochs = I("EPOCHS", 4), keep = I("KEEP", 2);
        var vectors = new List<float[]>();
        var vecTask = new List<int>();
        var zooAcc = new Dictionary<int, List<double>>();
        for (int ti = 0; ti < seen.Count; ti++)
        {
            var tr = fTrain.ForTask(seen[ti]);
            var te = fTest.ForTask(seen[ti]);
            zooAcc[ti] = [];
            for (int s = 0; s < seeds; s++)
            {
                using var scope = DisposeScope.Enter();
                var model = arch.Build(new Generator((ulong)(1000 * ti + s)));
                ClassifierTraining.Train(model, tr, null, new ClassifierTrainingOptions { Epochs = epochs, LearningRate = D("ZLR", 1e-2), Seed = (ulong)s }, r =>
                {
                    if (r.Epoch > epochs - keep)
                    {
                        vectors.Add(arch.Tensors.SelectMany(t => TargetArchitecture.ReadTensors(model)[t.Name]).ToArray());
                        vecTask.Add(ti);
                        zooAcc[ti].Add(ClassifierTraining.Accuracy(model, te));
                    }
                });
            }
        }
        Log($"zoo: {vectors.Count} models, mean acc {zooAcc.Values.SelectMany(v => v).Average():P1}");
        int L = vectors[0].Length, N = vectors.Count;
        // per-parameter normalisation
        var mean = new double[L]; var std = new double[L];
        foreach (var v in vectors) for (int i = 0; i < L; i++) mean[i] += v[i] / N;
        foreach (var v in vectors) for (int i = 0; i < L; i++) std[i] += (v[i] - mean[i]) * (v[i] - mean[i]) / N;
        for (int i = 0; i < L; i++) std[i] = Math.Max(Math.Sqrt(std[i]), 1e-8);
        var norm = new float[N * L];
        for (int n = 0; n < N; n++) for (int i = 0; i < L; i++) norm[n * L + i] = (float)((vectors[n][i] - mean[i]) / std[i]);
        float[] Denorm(ReadOnlySpan<float> z) { var r = new float[L]; for (int i = 0; i < L; i++) r[i] = (float)(z[i] * std[i] + mean[i]); return r; }
        var normAll = Tensor.FromArray(norm, N, L);
        double EvalVec(float[] w, FeatureSet te)
        {
            using var scope = DisposeScope.Enter();
            var dict = new Dictionary<string, float[]>(); int o = 0;
            foreach (var t in arch.Tensors) { dict[t.Name] = w.AsSpan(o, (int)t.Numel).ToArray(); o += (int)t.Numel; }
            using var m = arch.Load(dict);
            return ClassifierTraining.Accuracy(m, te);
        }

        // VAE
        var vaeCfg = new VaeConfig { VectorLength = L, Dims = 2, MapSize = I("MAP", 16), BaseChannels = I("VAEC", 16), ChannelMultipliers = [1, 2], ResBlocksPerLevel = 1, LatentChannels = 4, Beta = 1e-6, InputNoise = D("INNOISE", 0.001), LatentNoise = D("LATNOISE", 0.1) };
        using var vae = new WeightVae(vaeCfg, new Generator(11));
        using (var opt = new AdamW(vae.Parameters(), D("VAELR", 1e-3), weightDecay: 0))
        {
            var g = new Generator(12);
            int steps = I("VAESTEPS", 1000);
            for (int step = 0; step < steps; step++)
            {
                using var scope = DisposeScope.Enter();
                var idx = g.HostRandom();
                var rows = Enumerable.Range(0, 64).Select(_ => idx.Next(N)).ToArray();
                var x = Tensor.FromArray(rows.SelectMany(r => norm.AsSpan(r * L, L).ToArray()).ToArray(), 64, L);
                var o = vae.Forward(x, g);
                var (tot, rec, kl) = vae.Loss(x, o);
                opt.ZeroGrad(); tot.Backward(); opt.Step();
                if (step % 200 == 0 || step == steps - 1) Log($"vae {step} rec {rec.Item():F4}");
            }
        }
        vae.Eval();
        double scale = vae.FitLatentScale(normAll);
        Tensor latents;
        using (GradMode.NoGrad()) using (DisposeScope.Suspend()) latents = (vae.Encode(normAll).Mean * scale).Reshape(N, -1);
        int Z = latents.Shape[1];
        // VAE recon accuracy for a few seen tasks
        {
            using var _ = GradMode.NoGrad();
            using var scope = DisposeScope.Enter();
            var rec = vae.Decode(vae.Encode(normAll).Mean).ToArray<float>();
            double a0 = 0, a1 = 0; int c = 0;
            for (int n = 0; n < N; n += N / 30) { var te = fTest.ForTask(seen[vecTask[n]]); a0 += EvalVec(vectors[n], te); a1 += EvalVec(Denorm(rec.AsSpan(n * L, L)), te); c++; }
            Log($"vae recon: orig {a0 / c:P1} recon {a1 / c:P1}; latent scale {scale:F3}");
        }
        var latArr = latents.ToArray<float>();

        // Encoder
        var encCfg = new DatasetEncoderConfig { FeatureLength = fTrain.FeatureLength, Hidden = 64, Heads = 2, InducingPoints = 8, MaxClasses = 10, OutputLength = Z, Temperature = D("TEMP", 1) };
        using var encoderM = Env("ENC", "st") == "mlp" ? (RawDiffusion.Nn.Module)new MlpDatasetEncoder(encCfg, new Generator(21)) : new SetTransformerEncoder(encCfg, new Generator(21)); var encoder = (IDatasetEncoder)encoderM;
        var taskRows = seen.Select(t => fTrain.ForTask(t)).ToArray();
        var taskVecs = Enumerable.Range(0, seen.Count).Select(t => Enumerable.Range(0, N).Where(n => vecTask[n] == t).ToArray()).ToArray();
        int kshot = 5, F = fTrain.FeatureLength;
        using (var opt = new AdamW(encoderM.Parameters(), D("ENCLR", 1e-3)))
        {
            var g = new Generator(22);
            int steps = I("ENCSTEPS", 300), B = 32;
            for (int step = 0; step < steps; step++)
            {
                using var scope = DisposeScope.Enter();
                var rng = g.HostRandom();
                var ts = Enumerable.Range(0, seen.Count).OrderBy(_ => rng.Next()).Take(B).ToArray();
                var sup = ts.SelectMany(t => taskRows[t].SupportSet(kshot, g)).ToArray();
                var lat = ts.SelectMany(t => latArr.AsSpan(taskVecs[t][rng.Next(taskVecs[t].Length)] * Z, Z).ToArray()).ToArray();
                var emb = encoder.Forward(Tensor.FromArray(sup, B, k, kshot, F));
                var loss = ContrastiveAlignment.Loss(emb, Tensor.FromArray(lat, B, Z), encCfg.Temperature);
                opt.ZeroGrad(); loss.Backward(); opt.Step();
                if (step % 100 == 0 || step == steps - 1) Log($"enc {step} loss {loss.Item():F4}");
            }
        }
        encoderM.Eval();
        Tensor Embed(FeatureSet rows, Generator g, int count)
        {
            using var _ = GradMode.NoGrad();
            var sup = Enumerable.Range(0, count).SelectMany(_ => rows.SupportSet(kshot, g)).ToArray();
            return encoder.Forward(Tensor.FromArray(sup, count, rows.ClassCount, kshot, F));
        }
        // cache embeddings per seen task
        const int draws = 16;
        var embCache = new float[seen.Count][];
        { var g = new Generator(23); for (int t = 0; t < seen.Count; t++) using (DisposeScope.Enter()) embCache[t] = Embed(taskRows[t], g, draws).ToArray<float>(); }
        Log("embeddings cached");

        // Diffusion
        var unetCfg = new UNetConfig { ImageSize = I("MAP", 16) / 2, LatentChannels = 4, ConditionMapChannels = 0, OutChannels = 4, ModelChannels = I("UC", 32), ChannelMultipliers = [1, 2], ResBlocksPerLevel = 1, AttentionResolutions = [I("MAP", 16) / 4], Heads = 2, ConditionVectorLength = Z, ConditionDropout = 0.1 };
        using var unet = new UNet(unetCfg, new Generator(31));
        var diffusion = new GaussianDiffusion(NoiseSchedule.Linear(I("T", 1000)));
        using var ema = new Ema(unet, 0.995);
        using (var opt = new AdamW(unet.Parameters(), D("ULR", 1e-3)))
        {
            var g = new Generator(32);
            int steps = I("USTEPS", 1500), B = 64;
            for (int step = 0; step < steps; step++)
            {
                using var scope = DisposeScope.Enter();
                var rng = g.HostRandom();
                var rows = Enumerable.Range(0, B).Select(_ => rng.Next(N)).ToArray();
                var x0 = Tensor.FromArray(rows.SelectMany(r => latArr.AsSpan(r * Z, Z).ToArray()).ToArray(), B, 4, I("MAP", 16) / 2, I("MAP", 16) / 2);
                var cond = Tensor.FromArray(rows.SelectMany(r => embCache[vecTask[r]].AsSpan(rng.Next(draws) * Z, Z).ToArray()).ToArray(), B, Z);
                var c = unet.DropConditions(new UNetCondition(Vector: cond), g);
                var loss = diffusion.TrainingLoss((xt, t, cd) => unet.Forward(xt, t, cd ? c : null), x0, g);
                opt.ZeroGrad(); loss.Backward(); opt.Step(); ema.Update();
                if (step % 250 == 0 || step == steps - 1) Log($"unet {step} loss {loss.Item():F4}");
            }
        }
        unet.Eval();
        // Evaluate
        int samples = 10;
        double guidance = D("GUIDE", 1);
        using var avg = ema.AverageWeights();
        var meanZoo = new float[L];
        foreach (var v in vectors) for (int i = 0; i < L; i++) meanZoo[i] += v[i] / N;
        var seenEmb = embCache.Select(e => Enumerable.Range(0, Z).Select(j => Enumerable.Range(0, draws).Average(d => e[d * Z + j])).ToArray()).ToArray();
        void EvalGroup(string label, IReadOnlyList<TaskSpec> tasks, FeatureSet trainF, FeatureSet testF, bool isSeen)
        {
            var g = new Generator(41);
            double gm = 0, gt3 = 0, zm = 0, rnd = 0, mz = 0, nn = 0;
            foreach (var task in tasks.Take(I("EVALN", 10)))
            {
                using var scope = DisposeScope.Enter();
                var tr = trainF.ForTask(task); var te = testF.ForTask(task);
                var e = Embed(tr, g, 1);
                var cond = Tensor.FromArray(Enumerable.Range(0, samples).SelectMany(_ => e.ToArray<float>()).ToArray(), samples, Z);
                var z = diffusion.SampleDdim(unet.AsNoisePredictor(new UNetCondition(Vector: cond)), [samples, 4, I("MAP", 16) / 2, I("MAP", 16) / 2], g, 50, 0, guidance);
                Tensor w; using (GradMode.NoGrad()) w = vae.Decode(z * (1 / scale));
                var wa = w.ToArray<float>();
                var accs = Enumerable.Range(0, samples).Select(s => EvalVec(Denorm(wa.AsSpan(s * L, L)), te)).OrderDescending().ToArray();
                gm += accs.Average(); gt3 += accs.Take(3).Average();
                if (isSeen) zm += zooAcc[seen.ToList().IndexOf(task)].Average();
                rnd += EvalVec(TargetArchitecture.ReadTensors(arch.Build(new Generator(99))).Values.SelectMany(x => x).ToArray() is var _ ? arch.Tensors.SelectMany(t => TargetArchitecture.ReadTensors(arch.Build(new Generator(99)))[t.Name]).ToArray() : null!, te);
                mz += EvalVec(meanZoo, te);
                var ev = e.ToArray<float>();
                int best = Enumerable.Range(0, seen.Count).MinBy(t => seenEmb[t].Select((x, j) => (x - ev[j]) * (x - ev[j])).Sum());
                nn += taskVecs[best].Average(n => EvalVec(vectors[n], te));
            }
            int cnt = Math.Min(tasks.Count, I("EVALN", 10));
            Log($"{label,-10} gen mean {gm / cnt:P1} top3 {gt3 / cnt:P1} zoo {(isSeen ? (zm / cnt).ToString("P1") : "-")} random {rnd / cnt:P1} meanzoo {mz / cnt:P1} nearest {nn / cnt:P1}");
        }
        EvalGroup("seen", seen, fTrain, fTest, true);
        EvalGroup("unseen", unseen, fTrain, fTest, false);
        EvalGroup("digits", cross, dTrain, dTest, false);
        return 0;
    }
}
