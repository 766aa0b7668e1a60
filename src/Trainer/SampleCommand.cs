using System.CommandLine;
using System.Globalization;
using RawDiffusion.Pipeline;
using RawDiffusion.Zoo;

namespace RawDiffusion.Trainer;

/// <summary>`sample`: generates classifier weights for a task from K examples per class and writes them as safetensors
/// state dicts a PyTorch user can load.</summary>
internal static class SampleCommand
{
    public static Command Create()
    {
        var output = Cli.OutOption();
        var data = Cli.DataOption();
        var input = new TaskInput();
        var samples = new Option<int?>("--samples") { Description = "How many weight sets to generate (default: sampling.samples of the run's config)" }
            .Check(v => v is < 1 ? "--samples must be at least 1" : null);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the support set and the diffusion noise", DefaultValueFactory = _ => 1UL };
        var destination = new Option<string>("--dest") { Description = "Folder for the generated files (sample-000.safetensors, ...)", Required = true };
        var command = new Command("sample", "Generate weights for a task from K examples per class (after `train diffusion`)") { output, data, samples, seed, destination };
        input.AddTo(command);
        command.SetAction(p => Cli.Guard(_ =>
        {
            var run = new RunFolder(p.GetValue(output)!);
            var config = Cli.RunConfig(run);
            using var runData = RunData.Prepare(config, run, p.GetValue(data), Cli.Log);
            var (train, _, name) = input.Resolve(p, runData);
            using var generator = new WeightGenerator(config, run);
            var g = new Generator(p.GetValue(seed));
            int count = p.GetValue(samples) ?? config.Sampling.Samples;
            int perClass = config.Sampling.SupportPerClass;
            var weights = generator.Generate(train.Select(train.SupportIndices(perClass, g)), perClass, count, g);
            string dest = p.GetValue(destination)!;
            Directory.CreateDirectory(dest);
            for (int s = 0; s < weights.Count; s++)
            {
                var path = Path.Combine(dest, $"sample-{s:D3}.safetensors");
                if (File.Exists(path)) throw new IOException($"{path} already exists; choose another --dest (nothing was overwritten)");
            }
            for (int s = 0; s < weights.Count; s++)
                WeightsFile.Save(Path.Combine(dest, $"sample-{s:D3}.safetensors"), generator.Architecture, weights[s], new Dictionary<string, string>
                {
                    ["task"] = name, ["classes"] = string.Join(",", train.ClassNames), ["sample"] = s.ToString(CultureInfo.InvariantCulture),
                    ["seed"] = p.GetValue(seed).ToString(CultureInfo.InvariantCulture),
                });
            Cli.Log($"wrote {weights.Count} weight files of \"{generator.Architecture.Name}\" for {name} to {dest}");
            return 0;
        }));
        return command;
    }
}
