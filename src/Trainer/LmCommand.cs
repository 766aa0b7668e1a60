using System.CommandLine;
using System.Globalization;
using RawDiffusion.Language;
using RawDiffusion.Models.Language;
using RawDiffusion.Pipeline;
using Spectre.Console;

namespace RawDiffusion.Trainer;

/// <summary>`lm ...`: the language-model experiments (configs/lm.json): a Llama-style byte-level LM trained on the
/// fortune text domains, a zoo of per-domain fine-tunes, evaluation in bits per byte and text sampling.</summary>
internal static class LmCommand
{
    static readonly string DefaultOut = Path.Combine("runs", "lm");

    public static Command Create()
    {
        var lm = new Command("lm", "Language models on real text: train, fine-tune a zoo, evaluate, sample");
        lm.Subcommands.Add(Train());
        lm.Subcommands.Add(Finetune());
        lm.Subcommands.Add(Eval());
        lm.Subcommands.Add(SampleText());
        lm.Subcommands.Add(Select());
        lm.Subcommands.Add(GenerateLayers());
        lm.Subcommands.Add(RefineCommand());
        lm.Subcommands.Add(Report());
        lm.Subcommands.Add(RunAll());
        return lm;
    }

    static Option<string?> ConfigOption() => new("--config") { Description = "lm config (default: configs/lm.json for a new run; the run's own config.json afterwards)" };
    static Option<string> OutOption() => new("--out") { Description = "lm run folder", DefaultValueFactory = _ => DefaultOut };
    static Option<string?> DataOption() => new("--data") { Description = "Data folder holding text/<domain>/ (default: data/ in the repository, or RAWDIFFUSION_DATA)" };

    static LmRun OpenRun(string? configPath, string folder, bool allowDefault)
    {
        LmConfig? config = configPath != null ? LmConfig.Load(configPath) : null;
        if (config == null && allowDefault && !File.Exists(Path.Combine(folder, "config.json")))
            config = LmConfig.Load(LmConfig.DefaultPath());
        return LmRun.Open(folder, config);
    }

    static Command Train()
    {
        var config = ConfigOption();
        var output = OutOption();
        var data = DataOption();
        var resume = Cli.ResumeOption();
        var command = new Command("train", "Train the base language model on the mix of the config's domains") { config, output, data, resume };
        command.SetAction(p => Cli.Guard(cancel =>
        {
            var run = OpenRun(p.GetValue(config), p.GetValue(output)!, allowDefault: true);
            var domains = run.LoadDomains(p.GetValue(data));
            var result = run.TrainBase(domains, Cli.Stages(p.GetValue(resume), cancel));
            if (result.Interrupted) return Interrupt.ExitCode;
            Cli.Log($"wrote {run.BaseFolder}");
            Plots.LossCurves(run.BaseCsv, Path.Combine(run.Folder, "plots", "base-loss.png"), "base LM: training loss", logScale: false);
            return 0;
        }));
        return command;
    }

    static Command Finetune()
    {
        var output = OutOption();
        var data = DataOption();
        var resume = Cli.ResumeOption();
        var domain = new Option<string?>("--domain") { Description = "Fine-tune only this domain (default: every domain of the run)" };
        var command = new Command("finetune", "Fine-tune the base on each domain with each seed, keeping the zoo's checkpoints") { output, data, resume, domain };
        command.SetAction(p => Cli.Guard(cancel =>
        {
            var run = OpenRun(null, p.GetValue(output)!, allowDefault: false);
            var domains = run.LoadDomains(p.GetValue(data));
            if (!run.Finetune(domains, Cli.Stages(p.GetValue(resume), cancel), p.GetValue(domain))) return Interrupt.ExitCode;
            Cli.Log($"zoo: {run.Members(p.GetValue(domain)).Count} models under {Path.Combine(run.Folder, "zoo")}");
            return 0;
        }));
        return command;
    }

    static Command Eval()
    {
        var output = OutOption();
        var data = DataOption();
        var command = new Command("eval", "Validation bits per byte of the base and the zoo's last fine-tunes, per domain") { output, data };
        command.SetAction(p => Cli.Guard(_ =>
        {
            var run = OpenRun(null, p.GetValue(output)!, allowDefault: false);
            var domains = run.LoadDomains(p.GetValue(data));
            var table = new Table().AddColumns("domain", "valid bytes", "base bpb", "fine-tune bpb (mean over seeds)");
            using var baseModel = run.LoadBase();
            int context = run.Config.Model.Context;
            foreach (var d in domains)
            {
                double b = LmEvaluation.BitsPerByte(baseModel, d.ValidTokens, context, run.Config.EvalBatchSize);
                var last = run.Members(d.Name).GroupBy(m => m.Seed).Select(g => g.Last()).ToList();
                var tuned = last.Where(m => File.Exists(Path.Combine(m.Folder, LlamaFiles.WeightsFile))).Select(m =>
                {
                    using var model = LlamaFiles.Load(m.Folder);
                    return LmEvaluation.BitsPerByte(model, d.ValidTokens, context, run.Config.EvalBatchSize);
                }).ToList();
                table.AddRow(d.Name, d.ValidTokens.Count(t => t < 256).ToString(CultureInfo.InvariantCulture), b.ToString("F4", CultureInfo.InvariantCulture),
                    tuned.Count == 0 ? "(not fine-tuned)" : $"{tuned.Average():F4} ({tuned.Count} seeds)");
            }
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    static Command SampleText()
    {
        var model = new Option<string?>("--model") { Description = "Model folder (config.json + model.safetensors; default: the run's base)" };
        var output = OutOption();
        var prompt = new Option<string>("--prompt") { Description = "Text to continue (a document start marker is put before it)", DefaultValueFactory = _ => "" };
        var tokens = new Option<int>("--tokens") { Description = "Most bytes to generate", DefaultValueFactory = _ => 200 }.Check(v => v < 1 ? "--tokens must be at least 1" : null);
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature (0: greedy)", DefaultValueFactory = _ => 0.8 }.Check(v => v >= 0 ? null : "--temperature must be >= 0");
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0: all)", DefaultValueFactory = _ => 40 }.Check(v => v < 0 ? "--top-k must be >= 0" : null);
        var samples = new Option<int>("--samples") { Description = "How many texts", DefaultValueFactory = _ => 1 }.Check(v => v < 1 ? "--samples must be at least 1" : null);
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 1UL };
        var command = new Command("sample-text", "Generate text with a trained model") { model, output, prompt, tokens, temperature, topK, samples, seed };
        command.SetAction(p => Cli.Guard(_ =>
        {
            var folder = p.GetValue(model) ?? Path.Combine(p.GetValue(output)!, "base");
            using var lm = LlamaFiles.Load(folder);
            var start = ByteTokenizer.Encode(p.GetValue(prompt)!, addBos: true);
            for (int i = 0; i < p.GetValue(samples); i++)
            {
                var generated = TextSampler.Sample(lm, start, p.GetValue(tokens), p.GetValue(temperature), p.GetValue(topK), new Generator(p.GetValue(seed) + (ulong)i));
                Console.WriteLine(ByteTokenizer.Decode(generated));
                if (i + 1 < p.GetValue(samples)) Console.WriteLine("%");
            }
            return 0;
        }));
        return command;
    }

    static Command Select()
    {
        var config = ConfigOption();
        var output = OutOption();
        var data = DataOption();
        var ceiling = new Option<bool>("--ceiling") { Description = "Also evaluate, per domain, the base with the selected layers of the domain's fine-tune (needs the zoo)" };
        var plot = new Option<string?>("--plot") { Description = "Draw the SNR per layer, chosen layers marked, to this PNG" };
        var command = new Command("select", "Which layers generation.* selects and why (SNR per layer of the base); the run's config is not changed") { config, output, data, ceiling, plot };
        command.SetAction(p => Cli.Guard(_ =>
        {
            var saved = LmRun.Open(p.GetValue(output)!, null);
            var run = saved;
            if (p.GetValue(config) is { } path)
            {
                var other = LmConfig.Load(path);
                if (other.TrainingJson() != saved.Config.TrainingJson())
                    throw new ArgumentException($"{path}: other domains, model, base or finetune settings than the run in {saved.Folder}");
                run = new LmRun(saved.Folder, other);
            }
            var choice = LayerSelection.Select(run);
            var selected = choice.Tensors;
            Console.WriteLine(LmReport.SelectionMarkdown(choice, run.Config.Model.Layers));
            Console.WriteLine($"{selected.Count} tensors, {selected.Sum(t => t.Numel):N0} parameters");
            if (p.GetValue(plot) is { } png && LmPlots.SnrByLayer(choice, png)) Cli.Log($"wrote {png}");
            if (p.GetValue(ceiling))
            {
                var table = new Table().AddColumns("domain", "base", "fine-tune", "base + fine-tuned layers", "vs fine-tune");
                foreach (var (domain, b, tuned, oracle) in LmReport.SelectionCeiling(run, run.LoadDomains(p.GetValue(data)), selected))
                    table.AddRow(domain, b.ToString("F4", CultureInfo.InvariantCulture), tuned.ToString("F4", CultureInfo.InvariantCulture),
                        oracle.ToString("F4", CultureInfo.InvariantCulture), (100 * (oracle / tuned - 1)).ToString("+0.00;-0.00", CultureInfo.InvariantCulture) + "%");
                AnsiConsole.Write(table);
            }
            return 0;
        }));
        return command;
    }

    static Command GenerateLayers()
    {
        var config = ConfigOption();
        var output = OutOption();
        var resume = Cli.ResumeOption();
        var domain = new Option<string?>("--domain") { Description = "Generate for this domain only (default: every domain)" };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 1UL };
        var command = new Command("generate-layers", "Train the chunk VAE and the (domain, chunk)-conditioned UNet on the zoo's selected layers, then sample K candidate layer sets per domain") { config, output, resume, domain, seed };
        command.SetAction(p => Cli.Guard(cancel =>
        {
            var run = OpenRun(p.GetValue(config), p.GetValue(output)!, allowDefault: false);
            return GenerateAll(run, Cli.Stages(p.GetValue(resume), cancel), p.GetValue(domain), p.GetValue(seed)) ? 0 : Interrupt.ExitCode;
        }));
        return command;
    }

    static bool GenerateAll(LmRun run, StageOptions options, string? domain, ulong seed)
    {
        if (!LayerGeneration.Train(run, options)) return false;
        var choice = LayerSelection.Select(run);
        Cli.Log($"generated layers: {choice.Rule}: {string.Join(", ", choice.Tensors.Select(t => t.Name))}");
        if (LmPlots.SnrByLayer(choice, Path.Combine(run.Folder, "plots", "snr-by-layer.png"))) Cli.Log($"wrote {Path.Combine(run.Folder, "plots", "snr-by-layer.png")}");
        foreach (var d in run.Config.Domains.Where(d => domain == null || d == domain))
            Cli.Log($"{d}: wrote {LayerGeneration.Generate(run, d, seed, Cli.Log).Count} candidates under {Path.Combine(LayerGeneration.Folder(run), d)}");
        Plots.LossCurves(Path.Combine(LayerGeneration.Folder(run), "vae.csv"), Path.Combine(run.Folder, "plots", "generation-vae-loss.png"), "chunk VAE: training loss", logScale: true);
        Plots.LossCurves(Path.Combine(LayerGeneration.Folder(run), "unet.csv"), Path.Combine(run.Folder, "plots", "generation-unet-loss.png"), "chunk UNet: training loss", logScale: true);
        return true;
    }

    static Command RefineCommand()
    {
        var output = OutOption();
        var data = DataOption();
        var domain = new Option<string?>("--domain") { Description = "Refine this domain only (default: every domain)" };
        var command = new Command("refine", "Algorithm 1: per selected layer, keep the best of K generated candidates only if it lowers the loss on the selection text; logs every decision") { output, data, domain };
        command.SetAction(p => Cli.Guard(_ =>
        {
            var run = OpenRun(null, p.GetValue(output)!, allowDefault: false);
            RefineAll(run, run.LoadDomains(p.GetValue(data)), p.GetValue(domain));
            return 0;
        }));
        return command;
    }

    static void RefineAll(LmRun run, IReadOnlyList<TextDomain> domains, string? only)
    {
        foreach (var d in domains.Where(d => only == null || d.Name == only))
        {
            var decisions = LmReport.RefineDomain(run, d, x => Cli.Log(string.Create(CultureInfo.InvariantCulture,
                $"{d.Name} {x.Tensor}: current {x.CurrentLoss:F5}, best candidate {x.BestCandidate} {x.CandidateLosses[x.BestCandidate]:F5} -> {(x.Accepted ? "accepted" : "kept current")}")));
            var csv = Path.Combine(run.Folder, "refine", d.Name + ".csv");
            File.Delete(csv);
            using (var metrics = new Training.MetricsCsv(csv))
            {
                metrics.Append(0, new Dictionary<string, double> { ["selection_loss"] = decisions[0].CurrentLoss });
                foreach (var x in decisions) metrics.Append(x.Step + 1, new Dictionary<string, double> { ["selection_loss"] = x.LossAfter });
            }
            Plots.LossCurves(csv, Path.Combine(run.Folder, "plots", $"refine-{d.Name}.png"), $"refine ({d.Name}): selection loss (nats/byte) after each layer");
            Cli.Log($"{d.Name}: {decisions.Count(x => x.Accepted)} of {decisions.Count} layers replaced; log {LmReport.RefineLog(run, d.Name)}");
        }
    }

    static Command Report()
    {
        var output = OutOption();
        var data = DataOption();
        var command = new Command("report", "The table: per domain, validation bits per byte of the base, fine-tune, generated, refined and random-control models") { output, data };
        command.SetAction(p => Cli.Guard(_ =>
        {
            var run = OpenRun(null, p.GetValue(output)!, allowDefault: false);
            WriteReport(run, run.LoadDomains(p.GetValue(data)));
            return 0;
        }));
        return command;
    }

    static void WriteReport(LmRun run, IReadOnlyList<TextDomain> domains)
    {
        var rows = LmReport.Evaluate(run, domains, Cli.Log);
        LmReport.Write(run, rows);
        Console.WriteLine(LmReport.Markdown(run, rows));
        Cli.Log($"wrote {Path.Combine(run.Folder, "report.md")}");
    }

    static Command RunAll()
    {
        var config = ConfigOption();
        var output = OutOption();
        var data = DataOption();
        var resume = Cli.ResumeOption();
        var command = new Command("run", "Everything: base, zoo, generator, candidates, refine and the report (configs/lm.json by default)") { config, output, data, resume };
        command.SetAction(p => Cli.Guard(cancel =>
        {
            var run = OpenRun(p.GetValue(config), p.GetValue(output)!, allowDefault: true);
            var domains = run.LoadDomains(p.GetValue(data));
            var options = Cli.Stages(p.GetValue(resume), cancel);
            if (!run.BaseDone)
            {
                if (run.TrainBase(domains, options).Interrupted) return Interrupt.ExitCode;
                Plots.LossCurves(run.BaseCsv, Path.Combine(run.Folder, "plots", "base-loss.png"), "base LM: training loss");
            }
            if (!run.Finetune(domains, options)) return Interrupt.ExitCode;
            if (!GenerateAll(run, options, null, 1)) return Interrupt.ExitCode;
            RefineAll(run, domains, null);
            WriteReport(run, domains);
            return 0;
        }));
        return command;
    }
}
