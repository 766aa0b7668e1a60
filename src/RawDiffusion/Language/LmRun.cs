using RawDiffusion.Models.Language;
using RawDiffusion.Pipeline;
using RawDiffusion.Training;

namespace RawDiffusion.Language;

/// <summary>One fine-tuned model of the zoo: a Hugging Face model folder.</summary>
public sealed record LmZooMember(string Domain, ulong Seed, int Step, string Folder);

/// <summary>An lm run folder:
/// <list type="bullet">
/// <item><c>config.json</c>: the <see cref="LmConfig"/> it was made with (a later command reads it; another config is refused);</item>
/// <item><c>base/</c>: the base model trained on the mix of domains (config.json + model.safetensors, Hugging Face layout), <c>base.csv</c>;</item>
/// <item><c>zoo/&lt;domain&gt;/seed&lt;s&gt;-step&lt;k&gt;/</c>: the fine-tunes kept for the zoo, <c>zoo/&lt;domain&gt;/seed&lt;s&gt;.csv</c>;</item>
/// <item><c>checkpoints/</c>: the training loops' checkpoints (resume).</item>
/// </list></summary>
public sealed class LmRun
{
    public LmRun(string folder, LmConfig config)
    {
        Folder = Path.GetFullPath(folder);
        Config = config;
    }

    public string Folder { get; }
    public LmConfig Config { get; }
    public string ConfigPath => Path.Combine(Folder, "config.json");
    public string BaseFolder => Path.Combine(Folder, "base");
    public string BaseCsv => Path.Combine(Folder, "base.csv");
    public string Checkpoint(string name) => Path.Combine(Folder, "checkpoints", name + ".safetensors");
    public string MemberFolder(string domain, ulong seed, int step) => Path.Combine(Folder, "zoo", domain, $"seed{seed}-step{step}");
    public string MemberCsv(string domain, ulong seed) => Path.Combine(Folder, "zoo", domain, $"seed{seed}.csv");

    /// <summary>Opens <paramref name="folder"/> with <paramref name="config"/> (written there on first use), or with the
    /// config already there when <paramref name="config"/> is null. A different config for an existing run is refused.</summary>
    public static LmRun Open(string folder, LmConfig? config)
    {
        var path = Path.Combine(folder, "config.json");
        if (File.Exists(path))
        {
            var saved = LmConfig.Load(path);
            if (config == null) return new LmRun(folder, saved);
            if (saved.TrainingJson() != config.TrainingJson())
                throw new ArgumentException($"{path}: the run was made with other domains, model, base or finetune settings; use another --out, or omit --config to continue it");
            if (saved.ToJson() != config.ToJson()) Write(path, config);
            return new LmRun(folder, config);
        }
        if (config == null) throw new FileNotFoundException($"{path}: no lm run here; start one with `lm train --config FILE --out {folder}`", path);
        Directory.CreateDirectory(folder);
        Write(path, config);
        return new LmRun(folder, config);
    }

    static void Write(string path, LmConfig config)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(config.ToJson() + "\n");
        IO.AtomicFile.Write(path, s => s.Write(bytes));
    }

    public IReadOnlyList<TextDomain> LoadDomains(string? dataRoot)
    {
        var root = TextCorpus.Root(dataRoot);
        return Config.Domains.Select(d => TextCorpus.Load(root, d)).ToList();
    }

    /// <summary>The zoo's members in order (domain, seed, step): the last <c>keepLast</c> multiples of <c>saveEvery</c>.</summary>
    public IReadOnlyList<LmZooMember> Members(string? domain = null)
    {
        var f = Config.Finetune;
        var steps = Enumerable.Range(0, f.KeepLast).Select(i => f.Training.Steps / f.SaveEvery * f.SaveEvery - (f.KeepLast - 1 - i) * f.SaveEvery).ToArray();
        return (from d in Config.Domains where domain == null || d == domain
                from s in f.Seeds
                from k in steps
                select new LmZooMember(d, s, k, MemberFolder(d, s, k))).ToList();
    }

    public bool BaseDone => File.Exists(Path.Combine(BaseFolder, LlamaFiles.WeightsFile));

    public LlamaForCausalLM LoadBase()
    {
        if (!BaseDone) throw new FileNotFoundException($"{BaseFolder}: the base model is not trained yet (run `lm train --out {Folder}`)");
        return LlamaFiles.Load(BaseFolder);
    }

    string ConfigHash => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Config.TrainingJson())))[..16];

    /// <summary>Trains the base model on the balanced mix of every domain's training text.</summary>
    public TrainingLoopResult TrainBase(IReadOnlyList<TextDomain> domains, StageOptions options)
    {
        using var model = new LlamaForCausalLM(Config.Model.ToLlama(), new Generator(Config.Base.Seed));
        var checkpoint = Checkpoint("base");
        using var metrics = new MetricsCsv(BaseCsv);
        var streams = domains.Select(d => d.TrainTokens).ToList();
        var result = options.Run("base", Config.Base.Steps, progress => LmTraining.Train(model, streams, Config.Base, checkpoint,
            options.ResumeFrom(checkpoint), metrics, progress, options.Cancel, new Dictionary<string, string> { ["lm_config"] = ConfigHash }));
        if (!result.Interrupted) LlamaFiles.Save(BaseFolder, model, new Dictionary<string, string> { ["stage"] = "base", ["steps"] = result.CompletedSteps.ToString() });
        return result;
    }

    /// <summary>Fine-tunes the base on each domain (or only <paramref name="onlyDomain"/>) with each seed, saving the zoo
    /// members. A (domain, seed) whose last member exists is skipped.</summary>
    public bool Finetune(IReadOnlyList<TextDomain> domains, StageOptions options, string? onlyDomain = null)
    {
        var f = Config.Finetune;
        if (onlyDomain != null && !Config.Domains.Contains(onlyDomain))
            throw new ArgumentException($"--domain {onlyDomain}: not a domain of this run ({string.Join(", ", Config.Domains)})");
        foreach (var domain in domains.Where(d => onlyDomain == null || d.Name == onlyDomain))
            foreach (var seed in f.Seeds)
            {
                var members = Members(domain.Name).Where(m => m.Seed == seed).ToList();
                if (File.Exists(Path.Combine(members[^1].Folder, LlamaFiles.WeightsFile))) continue;
                using var model = LoadBase();
                var keep = members.ToDictionary(m => (long)m.Step);
                var training = f.Training with { Seed = seed };
                string name = $"zoo-{domain.Name}-seed{seed}", checkpoint = Checkpoint(name);
                Directory.CreateDirectory(Path.GetDirectoryName(MemberCsv(domain.Name, seed))!);
                using var metrics = new MetricsCsv(MemberCsv(domain.Name, seed));
                var result = options.Run($"{domain.Name} seed {seed}", training.Steps, progress => LmTraining.Train(model, [domain.TrainTokens], training,
                    checkpoint, options.ResumeFrom(checkpoint), metrics, progress, options.Cancel,
                    new Dictionary<string, string> { ["lm_config"] = ConfigHash, ["domain"] = domain.Name },
                    step =>
                    {
                        if (keep.TryGetValue(step, out var member))
                            LlamaFiles.Save(member.Folder, model, new Dictionary<string, string> { ["domain"] = member.Domain, ["seed"] = seed.ToString(), ["step"] = step.ToString() });
                    }));
                if (result.Interrupted) return false;
            }
        return true;
    }
}
