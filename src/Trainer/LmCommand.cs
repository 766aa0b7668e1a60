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
}
