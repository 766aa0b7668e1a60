using RawDiffusion.IO;
using RawDiffusion.Training;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>All stages from one config: zoo -> VAE -> dataset encoder -> diffusion -> generation and the report. With
/// Resume, finished stages are kept and an interrupted one continues from its checkpoint.</summary>
public static class PipelineRun
{
    /// <summary>Writes config.json into a new run folder, or checks that an existing run was made with the same config.</summary>
    public static void PrepareFolder(PipelineConfig config, RunFolder run, bool resume)
    {
        if (File.Exists(run.Config))
        {
            var stored = PipelineConfig.Load(run.Config);
            if (stored.ToJson() != config.ToJson())
                throw new InvalidOperationException($"{run.Config}: the run folder was made with another config; use a new --out folder (nothing was changed)");
            if (!resume)
                throw new InvalidOperationException($"{run.Root} already holds a run; pass --resume to continue it or choose another --out folder (nothing was changed)");
            return;
        }
        Directory.CreateDirectory(run.Root);
        AtomicFile.Write(run.Config, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(config.ToJson()); });
    }

    /// <summary>Runs every stage; returns null when interrupted (each stage has saved its checkpoint).</summary>
    public static DemoReport? RunAll(PipelineConfig config, RunFolder run, string? dataRoot, StageOptions options,
                                     IProgress<ZooBuildProgress>? zooProgress = null, Action<string>? log = null)
    {
        var started = DateTime.UtcNow;
        using var data = RunData.Prepare(config, run, dataRoot, log);
        log?.Invoke($"zoo: {config.Tasks.Seen} tasks x {config.Zoo.Seeds} seeds, last {config.Zoo.KeepLastEpochs} of {config.Zoo.Epochs} epochs kept");
        ZooStage.Build(config, run, data, ShardSpec.Whole, zooProgress, options.Cancel);
        var vectors = ZooVectors.Load(config, run);
        if (VaeStage.Train(config, run, vectors, options).Interrupted) return null;
        float[] latents;
        using (var vae = VaeStage.Load(config, run)) latents = VaeStage.Latents(vae, vectors);
        if (EncoderStage.Train(config, run, data, vectors, latents, options).Interrupted) return null;
        if (DiffusionStage.Train(config, run, data, vectors, latents, options).Interrupted) return null;
        using var generator = new WeightGenerator(config, run);
        var report = DemoReport.Evaluate(config, run, data, generator, vectors, log == null ? null : new Progress<string>(log), options.Cancel);
        report.Elapsed = DateTime.UtcNow - started;
        report.Save(run);
        return report;
    }
}
