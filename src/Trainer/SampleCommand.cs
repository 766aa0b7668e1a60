using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using RawDiffusion.Pipeline;
using RawDiffusion.Zoo;

namespace RawDiffusion.Trainer;

/// <summary>`sample`: generates classifier weights for a task (from K examples per class, its id, or its text, as the
/// run's condition.kind needs) and writes them as safetensors
/// state dicts a PyTorch user can load. Samples are made <see cref="BatchSize"/> at a time
/// and each batch is written before the next starts, so memory stays bounded, Ctrl-C stops after the current batch, and
/// --resume writes only the files a stopped run had not written (each batch draws its noise from its own seed, so the
/// files are the same either way).</summary>
internal static class SampleCommand
{
    /// <summary>The most files one command writes.</summary>
    public const int MaxSamples = 1_000_000;

    /// <summary>Samples made (and written) together; each batch has its own noise stream.</summary>
    public const int BatchSize = 16;

    public static Command Create()
    {
        var output = Cli.OutOption();
        var data = Cli.DataOption();
        var input = new TaskInput();
        var conditionOptions = new ConditionOptions();
        var samples = new Option<int?>("--samples") { Description = $"How many weight sets to generate, at most {MaxSamples:N0} (default: sampling.samples of the run's config)" }
            .Check(v => v is < 1 ? "--samples must be at least 1" : v is > MaxSamples ? $"--samples {v} exceeds the limit of {MaxSamples:N0} files per command" : null);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the support set and the diffusion noise", DefaultValueFactory = _ => 1UL };
        var destination = new Option<string>("--dest") { Description = "Folder for the generated files (sample-000.safetensors, ...)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Keep the files an interrupted `sample` into --dest already wrote and write the rest" };
        var architectureOption = ArchitectureOption();
        var command = new Command("sample", "Generate weights for a task from K examples per class (after `train diffusion`)") { output, data, samples, seed, destination, resume, architectureOption };
        input.AddTo(command);
        conditionOptions.AddTo(command);
        command.SetAction(p => Cli.Guard(cancel =>
        {
            var run = new RunFolder(p.GetValue(output)!);
            var config = Cli.RunConfig(run);
            int count = p.GetValue(samples) ?? config.Sampling.Samples;
            if (count > MaxSamples) throw new ArgumentException($"{run.Config}: sampling.samples {count} exceeds the limit of {MaxSamples:N0} files per command");
            var dest = new SampleFolder(p.GetValue(destination)!, count, p.GetValue(resume));
            try
            {
                using var runData = RunData.Prepare(config, run, p.GetValue(data), Cli.Log);
                using var generator = new WeightGenerator(config, run);
                int a = generator.SelectArchitecture(p.GetValue(architectureOption));
                var architecture = generator.Architectures[a];
                var (train, _, name) = input.Resolve(p, runData, architecture.Classes);
                dest.CheckSpace(architecture);
                ulong s = p.GetValue(seed);
                int perClass = config.Sampling.SupportPerClass;
                var g = new Generator(s);
                var support = train.Select(train.SupportIndices(perClass, g));
                var task = p.GetValue(input.Task) is { } id ? TaskInput.Parse(id) : null;
                var condition = conditionOptions.Input(p, generator.Conditioner, task, support, perClass);
                // Checked before the first batch: a task unknown to a task-id run, text the run cannot take.
                var point = generator.Conditioner.For(condition, architecture.Classes);
                var metadata = new Dictionary<string, string>
                {
                    ["task"] = name, ["classes"] = string.Join(",", train.ClassNames), ["seed"] = s.ToString(CultureInfo.InvariantCulture),
                    ["condition"] = config.Condition.Describe(),
                };
                if (condition.Text != null) metadata["text"] = condition.Text;
                Write(generator, a, point, s, dest, metadata, cancel);
                Cli.Log($"wrote {count} weight files of \"{architecture.Name}\" for {name} to {dest.Root}");
                return 0;
            }
            catch
            {
                dest.RemoveIfUntouched();
                throw;
            }
        }));
        return command;
    }

    /// <summary>--architecture NAME: which architecture of a mixed-architecture run to generate (or evaluate).</summary>
    public static Option<string?> ArchitectureOption() => new("--architecture")
    {
        Description = "The target architecture, by name, in a run whose zoo has several (zoo.architectures); may be left out when it has one",
    };

    /// <summary>The noise of batch <paramref name="batch"/>: its own Philox stream, so any batch can be made alone.</summary>
    public static Generator BatchGenerator(ulong seed, int batch) => new(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(batch + 1)));

    static void Write(WeightGenerator generator, int architecture, ConditionPoint point, ulong seed, SampleFolder dest, Dictionary<string, string> metadata, CancellationToken cancel)
    {
        int batches = (dest.Count + BatchSize - 1) / BatchSize, written = dest.Existing;
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        for (int b = 0; b < batches; b++)
        {
            int first = b * BatchSize, size = Math.Min(BatchSize, dest.Count - first);
            if (Enumerable.Range(first, size).All(i => File.Exists(dest.PathOf(i)))) continue;
            cancel.ThrowIfCancellationRequested();
            var weights = generator.Generate(point, size, BatchGenerator(seed, b), cancel, architecture);
            for (int i = 0; i < size; i++)
            {
                string path = dest.PathOf(first + i);
                if (File.Exists(path)) continue;
                var fileMetadata = new Dictionary<string, string>(metadata) { ["sample"] = (first + i).ToString(CultureInfo.InvariantCulture) };
                try { WeightsFile.Save(path, generator.Architectures[architecture], weights[i], fileMetadata); }
                catch (IOException e)
                {
                    throw new IOException($"writing {path} failed ({e.Message}); the {written} sample files written before it are complete and valid; make room and run the same command with --resume to write the rest", e);
                }
                written++;
            }
            if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(5) && written < dest.Count)
            {
                lastReport = clock.Elapsed;
                Cli.Log($"sample: {written}/{dest.Count} files written");
            }
        }
    }

    /// <summary>The --dest folder, checked before any compute: it can be made and written, and (without --resume) holds
    /// none of the files about to be written.</summary>
    sealed class SampleFolder
    {
        readonly bool created;
        readonly int digits;

        public SampleFolder(string path, int count, bool resume)
        {
            Count = count;
            digits = Math.Max(3, (count - 1).ToString(CultureInfo.InvariantCulture).Length);
            try { Root = Path.GetFullPath(path); }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { throw new ArgumentException($"--dest {path}: not a valid path ({e.Message})", e); }
            if (File.Exists(Root)) throw new IOException($"--dest {Root} is a file, not a folder");
            created = !Directory.Exists(Root);
            try
            {
                Directory.CreateDirectory(Root);
                string probe = Path.Combine(Root, $".probe.{Guid.NewGuid():N}.tmp");
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                RemoveIfUntouched();
                throw new IOException($"--dest {Root}: cannot write there ({e.Message}); choose a folder you can write (nothing was generated)", e);
            }
            if (resume)
            {
                RunLock.RemoveUnfinishedWrites(Root);
                Existing = Enumerable.Range(0, count).Count(i => File.Exists(PathOf(i)));
                if (Existing > 0) Cli.Log($"{Existing} of the {count} sample files are already in {Root}; writing the rest");
            }
            else if (Enumerable.Range(0, count).Select(PathOf).FirstOrDefault(File.Exists) is { } existing)
                throw new IOException($"{existing} already exists; choose another --dest, or pass --resume to keep the files there and write the rest (nothing was overwritten)");
        }

        public string Root { get; }
        public int Count { get; }
        public int Existing { get; }

        public string PathOf(int sample) => Path.Combine(Root, $"sample-{sample.ToString("D" + digits, CultureInfo.InvariantCulture)}.safetensors");

        /// <summary>Refuses up front when the files cannot fit in the free space of the folder's disk.</summary>
        public void CheckSpace(TargetArchitecture architecture)
        {
            long perFile = sizeof(float) * architecture.ParameterCount + 4096, needed = perFile * (Count - Existing);
            long free;
            try { free = new DriveInfo(Root).AvailableFreeSpace; }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { return; }
            if (needed > free)
                throw new IOException($"--dest {Root}: {Count - Existing} files of about {MemoryEstimate.Format(perFile)} need {MemoryEstimate.Format(needed)}, but the disk has {MemoryEstimate.Format(free)} free (nothing was generated)");
        }

        /// <summary>Removes the folder again when this command made it and wrote nothing into it.</summary>
        public void RemoveIfUntouched()
        {
            if (!created || !Directory.Exists(Root) || Directory.EnumerateFileSystemEntries(Root).Any()) return;
            try { Directory.Delete(Root); }
            catch (IOException) { }
        }
    }
}
