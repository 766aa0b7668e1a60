using RawDiffusion.IO;
using RawDiffusion.Models;
using RawDiffusion.Training;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>All stages from one config: zoo -> VAE -> dataset encoder -> diffusion -> generation and the report. With
/// Resume, finished stages are kept and an interrupted one continues from its checkpoint.</summary>
public static class PipelineRun
{
    /// <summary>Writes config.json into a new run folder, or checks that an existing run was made with the same config.
    /// A resumed run may change how it is sampled and evaluated (the "sampling" section but its support size, and the
    /// "eval" section) and add an accuracy predictor the VAE does not learn from: nothing trained depends on
    /// those, so the new config is saved and the report made again.</summary>
    public static void PrepareFolder(PipelineConfig config, RunFolder run, bool resume, Action<string>? log = null)
    {
        // Checked before anything is written: class rows need a linear head over the backbone's features.
        if (config.Vectors.Layout == ClassRows.Layout) ClassRows.HeadTensors(ZooStage.Architecture(config));
        if (File.Exists(run.Config))
        {
            var stored = PipelineConfig.Load(run.Config);
            if (TrainedPart(stored).ToJson() != TrainedPart(config).ToJson())
                throw new InvalidOperationException($"{run.Config}: the run folder was made with another config; use a new --out folder (nothing was changed)");
            if (!resume)
                throw new InvalidOperationException($"{run.Root} already holds a run; pass --resume to continue it or choose another --out folder (nothing was changed)");
            if (stored.ToJson() == config.ToJson()) return;
            log?.Invoke($"{run.Config}: sampling, eval or predictor settings changed; the trained stages are kept and the report is made with the new settings");
        }
        else Directory.CreateDirectory(run.Root);
        AtomicFile.Write(run.Config, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(config.ToJson()); });
    }

    /// <summary>The parts of a config that trained stages depend on: all but the sampling and evaluation settings, and the
    /// accuracy predictor unless the VAE learns from it (Eq. 9): a predictor may be added to a trained run to rank its samples.</summary>
    static PipelineConfig TrainedPart(PipelineConfig config)
    {
        var trained = config with { Sampling = new SamplingConfig { SupportPerClass = config.Sampling.SupportPerClass }, Eval = new EvalConfig() };
        return config.Model.Vae.Reconstruction == VaeConfig.PredictorGuided ? trained
            : trained with { Model = trained.Model with { Predictor = null }, Training = trained.Training with { Predictor = new TrainingConfig().Predictor } };
    }

    /// <summary>The stages a config trains, in order: the accuracy predictor (when configured; Eq. 9 needs it before the
    /// VAE), VAE, dataset encoder (model-wise vectors conditioned on the dataset only: class rows are conditioned on
    /// support prototypes directly, task ids and texts need no encoder), diffusion.</summary>
    public static IReadOnlyList<string> Stages(PipelineConfig config)
    {
        var stages = new List<string>();
        if (config.Model.Predictor != null) stages.Add(PredictorStage.Name);
        stages.Add(VaeStage.Name);
        if (config.Vectors.Layout != ClassRows.Layout && config.Condition.Has(ConditionConfig.DatasetKind)) stages.Add(EncoderStage.Name);
        stages.Add(DiffusionStage.Name);
        return stages;
    }

    /// <summary>Trains one generative stage of the run: the single place `run` and `train` go through.</summary>
    public static TrainingLoopResult TrainStage(RunContext context, string stage, StageOptions options)
    {
        if (!Stages(context.Config).Contains(stage))
            throw new ArgumentException($"stage \"{stage}\" is not part of this run (vectors.layout \"{context.Config.Vectors.Layout}\" with condition.kind [{string.Join(", ", context.Config.Condition.Kind)}] trains {string.Join(", ", Stages(context.Config))})");
        return stage switch
        {
            PredictorStage.Name => PredictorStage.Train(context, options),
            VaeStage.Name => VaeStage.Train(context, options),
            EncoderStage.Name => EncoderStage.Train(context, options),
            _ => DiffusionStage.Train(context, options),
        };
    }

    /// <summary>Runs every stage; returns null when interrupted (each stage has saved its checkpoint).</summary>
    public static DemoReport? RunAll(PipelineConfig config, RunFolder run, string? dataRoot, StageOptions options,
                                     IProgress<ZooBuildProgress>? zooProgress = null, Action<string>? log = null)
    {
        var started = DateTime.UtcNow;
        using var context = new RunContext(config, run, dataRoot, log);
        log?.Invoke($"zoo: {config.Tasks.Seen} tasks x {config.Zoo.Seeds} seeds, last {config.Zoo.KeepLastEpochs} of {config.Zoo.Epochs} epochs kept" +
                    (ZooStage.IsMixed(config) ? $", for each of {string.Join(", ", config.ArchitectureNames)}" : ""));
        ZooStage.Build(config, run, context.Data, ShardSpec.Whole, zooProgress, options.Cancel);
        foreach (var stage in Stages(config))
            if (TrainStage(context, stage, options).Interrupted) return null;
        using var generator = new WeightGenerator(config, run);
        var report = DemoReport.Evaluate(config, run, context.Data, generator, context.Vectors, log == null ? null : new Progress<string>(log), options.Cancel);
        report.Elapsed = DateTime.UtcNow - started;
        report.Save(run);
        return report;
    }
}
