using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// The checks a pipeline config must pass before any work starts, beyond the field-by-field ones of
/// <see cref="PipelineConfig.Validate"/>: the domains and how many distinct tasks they allow, the zoo's architecture
/// (it must exist and fit the VAE's vector length), and each network's size against the tensor limit and the
/// machine's memory (<see cref="MemoryEstimate"/>). Every problem names the config file and the field.
/// </summary>
public static class ConfigValidation
{
    public const int MaxBlocksPerLevel = 1000;
    public const int MaxLevels = 16;

    /// <summary>The memory the process may use: the GC's view of it, which honours container limits.</summary>
    public static long AvailableMemoryBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Throws a <see cref="FormatException"/> starting with <paramref name="source"/> at the first problem.</summary>
    public static void Check(PipelineConfig config, string source, long availableBytes)
    {
        try { CheckUnchecked(config, availableBytes); }
        catch (ArgumentException e) { throw new FormatException($"{source}: {e.Message}", e); }
        catch (FileNotFoundException e) { throw new FormatException($"{source}: {ArchitectureField(config)}: {e.Message}", e); }
        catch (FormatException e) { throw new FormatException($"{source}: {ArchitectureField(config)}: {e.Message}", e); }
    }

    static string ArchitectureField(PipelineConfig config) => ZooStage.IsMixed(config) ? "zoo.architectures" : "zoo.architecture";

    static void CheckUnchecked(PipelineConfig config, long availableBytes)
    {
        foreach (var (field, domain) in new[] { ("tasks.domain", config.Tasks.Domain), ("tasks.crossDomain", config.Tasks.CrossDomain) })
        {
            if (field == "tasks.crossDomain" && config.Tasks.CrossDomainTasks == 0) continue;
            int classes;
            try { classes = Domains.ClassNames(domain).Count; }
            catch (ArgumentException e) { throw new ArgumentException($"{field}: {e.Message}", e); }
            if (config.Tasks.ClassesPerTask > classes)
                throw new ArgumentException($"tasks.classesPerTask {config.Tasks.ClassesPerTask} exceeds the {classes} classes of {field} \"{domain}\"");
        }
        try { TaskSplits.Draw(config.Tasks); }
        catch (ArgumentException e) { throw new ArgumentException($"tasks.seen / tasks.unseen / tasks.crossDomainTasks: {e.Message}", e); }

        var architectures = ZooStage.Architectures(config);
        if (ZooStage.IsMixed(config)) ZooStage.CheckNames(architectures);
        foreach (var architecture in architectures)
        {
            if (config.Sampling.SupportGuidance > 0)
            {
                try { ClassRows.HeadTensors(architecture); }
                catch (ArgumentException e) { throw new ArgumentException($"sampling.supportGuidance steers linear heads: {e.Message}", e); }
            }
            // Class rows: the architecture must be a linear head and one row must fit the VAE's vector.
            if (config.Vectors.Layout == ClassRows.Layout) ClassRows.RowLayout(architecture, config.Model.Vae.VectorLength);
            else if (config.Model.Vae.VectorLength < architecture.ParameterCount)
                throw new ArgumentException($"model.vae.vectorLength {config.Model.Vae.VectorLength} is shorter than the {architecture.ParameterCount} parameters of " +
                                            (ZooStage.IsMixed(config) ? $"\"{architecture.Name}\" in zoo.architectures (vectors are padded to the longest architecture)" : $"zoo.architecture \"{architecture.Name}\""));
        }

        CheckTextEmbeddings(config);

        // The estimate walks every block, so their counts are bounded first (far beyond any network that trains).
        var m = config.Model;
        foreach (var (field, count, limit) in new[]
                 {
                     ("model.vae.resBlocksPerLevel", m.Vae.ResBlocksPerLevel, MaxBlocksPerLevel), ("model.unet.resBlocksPerLevel", m.UNet.ResBlocksPerLevel, MaxBlocksPerLevel),
                     ("model.vae.channelMultipliers", m.Vae.ChannelMultipliers.Length, MaxLevels), ("model.unet.channelMultipliers", m.UNet.ChannelMultipliers.Length, MaxLevels),
                 })
            if (count > limit) throw new ArgumentException($"{field}: {count} is more than the {limit} a network here may have");
        foreach (var estimate in Estimates(config))
        {
            if (estimate.LargestTensorElements > MemoryEstimate.MaxTensorElements)
                throw new ArgumentException($"{estimate.Fields}: {estimate.Network} would need a tensor of {estimate.LargestTensorElements:N0} elements; the CPU backend holds at most {MemoryEstimate.MaxTensorElements:N0} per tensor");
            if (estimate.Bytes > availableBytes)
                throw new ArgumentException($"{estimate.Fields}: {estimate}, more than the {MemoryEstimate.Format(availableBytes)} of memory this machine has; make it smaller");
        }
    }

    /// <summary>User text embeddings: the files exist and agree, their columns fill model.unet.conditionVectorLength
    /// beside the other vector conditions, and every seen task has a row (unseen ones may be given at sampling time).</summary>
    static void CheckTextEmbeddings(PipelineConfig config)
    {
        var text = config.Condition.Text;
        if (!config.Condition.Has(ConditionConfig.TextKind) || text.Encoder != TextConditionConfig.EmbeddingFile) return;
        TextEmbeddingFile file;
        try { file = TextEmbeddingFile.Load(text.Embeddings!, text.Tasks!); }
        catch (Exception e) when (e is FileNotFoundException or FormatException) { throw new ArgumentException($"condition.text: {e.Message}", e); }
        int others = config.ConditionVectorParts().Sum(p => p.Length ?? 0);
        if (others + file.Length != config.Model.UNet.ConditionVectorLength)
            throw new ArgumentException($"model.unet.conditionVectorLength {config.Model.UNet.ConditionVectorLength} must be {others + file.Length}: {others} for the other vector conditions + the {file.Length} columns of condition.text.embeddings {text.Embeddings}");
        var missing = TaskSplits.Draw(config.Tasks).Seen.FirstOrDefault(t => !file.Contains(t.Id));
        if (missing != null)
            throw new ArgumentException($"condition.text.tasks {text.Tasks}: seen task {missing.Id} has no embedding row (every seen task needs one to train on)");
    }

    static IReadOnlyList<MemoryEstimate> Estimates(PipelineConfig config)
    {
        try { return MemoryEstimate.ForRun(config); }
        catch (OverflowException e)
        {
            throw new ArgumentException("model: the networks' sizes (model.vae, model.unet, model.datasetEncoder and the training batch sizes) multiply beyond any memory", e);
        }
    }
}
