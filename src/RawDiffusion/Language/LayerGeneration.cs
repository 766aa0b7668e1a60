using RawDiffusion.Diffusion;
using RawDiffusion.IO;
using RawDiffusion.Models;
using RawDiffusion.Pipeline;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;
using RawDiffusion.Zoo;

namespace RawDiffusion.Language;

/// <summary>Chunk-wise generation of the selected layers (D2NWG section 3.5): the zoo's chunks are encoded by a weight VAE,
/// a latent UNet learns them conditioned on (domain, chunk index) as one class, and sampling decodes every chunk of a
/// domain and reassembles the layers (the inverse of the chunking is exact). Files under <c>&lt;run&gt;/generation/</c>:
/// layout.json and normalization.safetensors, vae.safetensors, unet.safetensors (EMA weights), their .csv metrics and
/// <c>&lt;domain&gt;/candidate-&lt;k&gt;.safetensors</c> (the generated tensors).</summary>
public static class LayerGeneration
{
    public static string Folder(LmRun run) => Path.Combine(run.Folder, "generation");

    static LmGenerationSection Section(LmRun run) => run.Config.Generation
        ?? throw new ArgumentException($"{run.ConfigPath}: the config has no 'generation' section; add one (see configs/lm.json) and pass it with --config");

    /// <summary>The UNet's config with the class count set from the domains and chunks.</summary>
    static UNetConfig UNetConfig(LmGenerationSection g, LmZooChunks chunks) => g.UNet with { ClassCount = chunks.Domains.Length * chunks.ChunkCount };

    /// <summary>Fits the normalisation on the zoo's selected layers and trains the VAE and the UNet.</summary>
    public static bool Train(LmRun run, StageOptions options)
    {
        var g = Section(run);
        var selected = LayerSelection.Select(run.Config.Model.ToLlama(), g);
        var members = run.Members();
        foreach (var m in members)
            if (!File.Exists(Path.Combine(m.Folder, Models.Language.LlamaFiles.WeightsFile)))
                throw new FileNotFoundException($"{m.Folder}: zoo member missing; run `lm finetune --out {run.Folder}` first");
        var tensors = members.Select(m => (IReadOnlyDictionary<string, float[]>)LmZooChunks.ReadSelected(m.Folder, selected)).ToList();
        var domains = run.Config.Domains;
        var chunks = LmZooChunks.Fit(selected, g.ChunkSize, tensors, domains);
        string folder = Folder(run);
        chunks.Save(folder);
        var (rows, classes) = chunks.Rows(members.Select((m, i) => (Array.IndexOf(domains, m.Domain), tensors[i])).ToList());
        int n = classes.Length, length = g.ChunkSize;

        using var vae = new WeightVae(g.Vae, new Generator(g.VaeTraining.Seed));
        if (!File.Exists(Path.Combine(folder, "vae.safetensors")))
        {
            using var optimizer = new AdamW(vae.Parameters(), g.VaeTraining.LearningRate);
            using var metrics = new MetricsCsv(Path.Combine(folder, "vae.csv"));
            var checkpoint = run.Checkpoint("generation-vae");
            var result = options.Run("vae", g.VaeTraining.Steps, progress => TrainingLoop.Run(vae, optimizer, null,
                new TrainingLoopOptions(g.VaeTraining.Steps, checkpoint, g.VaeTraining.Seed, g.VaeTraining.CheckpointEvery, options.ResumeFrom(checkpoint)),
                (_, generator) =>
                {
                    var rng = generator.HostRandom();
                    int batch = g.VaeTraining.BatchSize;
                    var x = new float[batch * length];
                    for (int b = 0; b < batch; b++) rows.AsSpan(rng.Next(n) * length, length).CopyTo(x.AsSpan(b * length));
                    var input = Tensor.FromArray(x, batch, length);
                    var (total, reconstruction, kl) = vae.Loss(input, vae.Forward(input, generator));
                    optimizer.ZeroGrad();
                    total.Backward();
                    optimizer.Step();
                    return new Dictionary<string, double> { ["loss"] = total.Item(), ["reconstruction"] = reconstruction.Item(), ["kl"] = kl.Item() };
                }, metrics, progress, options.Cancel));
            if (result.Interrupted) return false;
            vae.Eval();
            using (DisposeScope.Enter()) vae.FitLatentScale(Tensor.FromArray(rows, n, length));
            Checkpoint.Save(Path.Combine(folder, "vae.safetensors"), vae);
        }
        else Checkpoint.Load(Path.Combine(folder, "vae.safetensors"), vae);
        vae.Eval();

        float[] latents;
        using (GradMode.NoGrad())
        using (DisposeScope.Enter())
            latents = (vae.Encode(Tensor.FromArray(rows, n, length)).Mean * vae.LatentScale).ToArray<float>();
        int z = g.Vae.LatentSize;
        var unetConfig = UNetConfig(g, chunks);
        int[] latentShape = unetConfig.InputShape;
        if (File.Exists(Path.Combine(folder, "unet.safetensors"))) return true;
        using var unet = new UNet(unetConfig, new Generator(g.UNetTraining.Seed));
        using var unetOptimizer = new AdamW(unet.Parameters(), g.UNetTraining.LearningRate);
        using var ema = new Ema(unet, g.Diffusion.EmaDecay);
        using var unetMetrics = new MetricsCsv(Path.Combine(folder, "unet.csv"));
        var diffusion = new GaussianDiffusion(g.Diffusion.CreateSchedule());
        var unetCheckpoint = run.Checkpoint("generation-unet");
        var unetResult = options.Run("unet", g.UNetTraining.Steps, progress => TrainingLoop.Run(unet, unetOptimizer, ema,
            new TrainingLoopOptions(g.UNetTraining.Steps, unetCheckpoint, g.UNetTraining.Seed, g.UNetTraining.CheckpointEvery, options.ResumeFrom(unetCheckpoint)),
            (_, generator) =>
            {
                var rng = generator.HostRandom();
                int batch = g.UNetTraining.BatchSize;
                var x0 = new float[batch * z];
                var labels = new int[batch];
                for (int b = 0; b < batch; b++)
                {
                    int row = rng.Next(n);
                    latents.AsSpan(row * z, z).CopyTo(x0.AsSpan(b * z));
                    labels[b] = classes[row];
                }
                var condition = unet.DropConditions(new UNetCondition(ClassIndex: Tensor.FromArray(labels, batch)), generator);
                var loss = diffusion.TrainingLoss((xt, t, conditional) => unet.Forward(xt, t, conditional ? condition : null),
                                                  Tensor.FromArray(x0, [batch, .. latentShape]), generator);
                unetOptimizer.ZeroGrad();
                loss.Backward();
                unetOptimizer.Step();
                return new Dictionary<string, double> { ["loss"] = loss.Item() };
            }, unetMetrics, progress, options.Cancel));
        if (unetResult.Interrupted) return false;
        using (ema.AverageWeights()) Checkpoint.Save(Path.Combine(folder, "unet.safetensors"), unet);
        return true;
    }

    public static string CandidatePath(LmRun run, string domain, int k) => Path.Combine(Folder(run), domain, $"candidate-{k}.safetensors");

    /// <summary>Samples <c>generation.candidates</c> sets of the selected layers for <paramref name="domain"/> and writes them.</summary>
    public static IReadOnlyList<string> Generate(LmRun run, string domain, ulong seed)
    {
        var g = Section(run);
        string folder = Folder(run);
        var chunks = LmZooChunks.Load(folder);
        int d = Array.IndexOf(chunks.Domains, domain);
        if (d < 0) throw new ArgumentException($"--domain {domain}: the generator was trained on {string.Join(", ", chunks.Domains)}");
        using var vae = new WeightVae(g.Vae, new Generator(0));
        Checkpoint.Load(Path.Combine(folder, "vae.safetensors"), vae);
        vae.Eval();
        var unetConfig = UNetConfig(g, chunks);
        using var unet = new UNet(unetConfig, new Generator(0));
        Checkpoint.Load(Path.Combine(folder, "unet.safetensors"), unet);
        unet.Eval();
        var diffusion = new GaussianDiffusion(g.Diffusion.CreateSchedule());
        int c = chunks.ChunkCount;
        var labels = Enumerable.Range(0, c).Select(i => chunks.ClassOf(d, i)).ToArray();
        var paths = new List<string>();
        for (int k = 0; k < g.Candidates; k++)
        {
            float[] vector;
            using (GradMode.NoGrad())
            using (DisposeScope.Enter())
            {
                var predictor = unet.AsNoisePredictor(new UNetCondition(ClassIndex: Tensor.FromArray(labels, c)));
                var latents = diffusion.SampleDdim(predictor, [c, .. unetConfig.InputShape],
                    new Generator(seed * 1000 + (ulong)k), g.DdimSteps, 0, g.GuidanceScale);
                var decoded = vae.Decode((latents * (1.0 / vae.LatentScale.Item())).Reshape([c, .. g.Vae.LatentShape]));
                vector = decoded.ToFloat32Array();   // [chunks, chunkSize] row-major is the layer-wise vector
            }
            var tensors = chunks.Denormalize(vector);
            var path = CandidatePath(run, domain, k);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            SafeTensorsWriter.Write(path, chunks.Layout.Tensors.Select(t => new SafeTensorEntry(t.Name, t.Shape.Select(x => (long)x).ToArray(), tensors[t.Name])).ToList(),
                new Dictionary<string, string> { ["domain"] = domain, ["candidate"] = k.ToString(), ["seed"] = seed.ToString() });
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>A candidate's tensors as written by <see cref="Generate"/>.</summary>
    public static Dictionary<string, float[]> ReadCandidate(string path, IReadOnlyList<TensorSpec> selected)
    {
        using var file = SafeTensorsFile.Open(path);
        return selected.ToDictionary(s => s.Name, s => file.TryGet(s.Name, out _) ? file.ReadFloat32(s.Name) : throw new InvalidDataException($"{path}: tensor '{s.Name}' is missing"));
    }
}
