using RawDiffusion.Pipeline;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>
/// A pipeline config small enough that every stage runs in seconds on a 2-core CPU: a 784-32-16 backbone, 3-class
/// linear heads (16*3+3 = 51 weights) on 6 seen tasks x 2 seeds, an 8x8 VAE map with a 4x4x4 latent (64 values), a
/// 16-channel UNet on that latent, an MLP dataset encoder with 64 outputs, and a few dozen training steps per stage.
/// </summary>
internal static class TinyPipeline
{
    public const string Json = """
    {
      "backbone": { "images": 2000, "hidden": [32, 16], "epochs": 1, "learningRate": 0.002, "seed": 3 },
      "tasks": { "domain": "fashion-mnist", "crossDomain": "mnist-digits", "classesPerTask": 3, "seen": 6, "unseen": 2, "crossDomainTasks": 2, "seed": 1 },
      "zoo": { "architecture": "linear-head", "seeds": 2, "epochs": 2, "keepLastEpochs": 1, "batchSize": 128, "learningRate": 0.01, "weightDecay": 0 },
      "vectors": { "normalization": "per-parameter" },
      "model": {
        "vae": {
          "vectorLength": 51, "dims": 2, "mapSize": 8, "baseChannels": 8, "channelMultipliers": [1, 2], "resBlocksPerLevel": 1,
          "attentionResolutions": [], "latentChannels": 4, "beta": 1e-6, "reconstruction": "mse", "inputNoise": 0.001, "latentNoise": 0.1
        },
        "unet": {
          "imageSize": 4, "latentChannels": 4, "conditionMapChannels": 0, "outChannels": 4, "modelChannels": 16,
          "channelMultipliers": [1, 2], "resBlocksPerLevel": 1, "attentionResolutions": [], "heads": 2,
          "dropout": 0, "scaleShift": true, "classCount": 0, "conditionVectorLength": 64, "conditionDropout": 0.1
        },
        "datasetEncoder": {
          "kind": "mlp", "featureLength": 16, "hidden": 16, "heads": 2, "inducingPoints": 4, "maxClasses": 10, "outputLength": 64, "temperature": 1
        },
        "diffusion": { "steps": 100, "schedule": "linear", "linearStart": 0.0015, "linearEnd": 0.0155, "emaDecay": 0.9 }
      },
      "training": {
        "vae": { "steps": 30, "batchSize": 16, "learningRate": 0.001, "checkpointEvery": 10, "seed": 12 },
        "encoder": { "steps": 20, "batchSize": 16, "learningRate": 0.001, "checkpointEvery": 0, "seed": 22 },
        "diffusion": { "steps": 30, "batchSize": 16, "learningRate": 0.001, "checkpointEvery": 10, "seed": 32 },
        "conditionDraws": 4
      },
      "sampling": { "samples": 2, "supportPerClass": 5, "ddimSteps": 5, "eta": 0, "guidance": 2, "seed": 41 },
      "eval": { "seenTasks": 2, "conditionSets": 2, "selectTop": 1, "randomInits": 2, "fineTuneEpochs": [1, 2], "supportSteps": 5, "shots": [1, 3] }
    }
    """;

    public static PipelineConfig Config => PipelineConfig.Parse(Json, "tiny");

    /// <summary>The tiny config generating heads row by row: one row is 16 weights + 1 bias, conditioned on [prototype - mean, mean] (32 values).</summary>
    public static string ClassRowsJson => Json
        .Replace("\"normalization\": \"per-parameter\" }", "\"normalization\": \"per-parameter\", \"layout\": \"class-rows\" }")
        .Replace("\"vectorLength\": 51,", "\"vectorLength\": 17,")
        .Replace("\"conditionVectorLength\": 64,", "\"conditionVectorLength\": 32,");

    /// <summary>The tiny config run the paper's way: an accuracy predictor trained first, the VAE trained with Eq. 9
    /// against it, the dataset embedding (64 values) concatenated to the 4x4x4 latent as 4 condition maps instead of a
    /// condition vector, and ancestral DDPM sampling through all 100 steps.</summary>
    public static string PaperJson => WithPredictor(Json)
        .Replace("\"reconstruction\": \"mse\"", "\"reconstruction\": \"predictor-guided\"")
        .Replace("\"conditionMapChannels\": 0,", "\"conditionMapChannels\": 4,")
        .Replace("\"conditionVectorLength\": 64,", "\"conditionVectorLength\": 0,")
        .Replace("\"samples\": 2,", "\"samples\": 2, \"sampler\": \"ddpm\",");

    /// <summary>A config with an accuracy predictor (16 hidden units, 200 steps) added.</summary>
    public static string WithPredictor(string json) => json
        .Replace("\"diffusion\": { \"steps\": 100,", "\"predictor\": { \"hidden\": 16 },\n    \"diffusion\": { \"steps\": 100,")
        .Replace("\"conditionDraws\": 4", "\"predictor\": { \"steps\": 200, \"batchSize\": 16, \"learningRate\": 0.003, \"checkpointEvery\": 0, \"seed\": 52 },\n    \"conditionDraws\": 4");

    /// <summary>The tiny config with a mixed-architecture zoo: linear heads (51 weights) and two-layer heads 16-32-3 (643
    /// weights) on the same tasks, vectors padded to 643, conditioned on the dataset embedding (64) and a one-hot
    /// architecture index (2). Every task's network of a seed starts from the same weights. Only seen tasks are evaluated, without fine-tuning curves or other support sizes, to keep its report quick.</summary>
    public static string MixedJson => Json
        .Replace("\"architecture\": \"linear-head\",", "\"architectures\": [\"linear-head\", \"two-layer-head\"], \"sharedInitialization\": true,")
        .Replace("\"vectors\": { \"normalization\": \"per-parameter\" },", "\"vectors\": { \"normalization\": \"per-parameter\" },\n      \"condition\": { \"kind\": [\"dataset\", \"architecture\"] },")
        .Replace("\"vectorLength\": 51,", "\"vectorLength\": 643,")
        .Replace("\"conditionVectorLength\": 64,", "\"conditionVectorLength\": 66,")
        .Replace("\"fineTuneEpochs\": [1, 2], \"supportSteps\": 5, \"shots\": [1, 3]", "\"fineTuneEpochs\": [], \"supportSteps\": 5, \"shots\": []")
        .Replace("\"unseen\": 2, \"crossDomainTasks\": 2,", "\"unseen\": 0, \"crossDomainTasks\": 0,");

    /// <summary>A pixel architecture small enough for the tiny pipeline: an MLP on the 784 raw pixels (784*8+8 + 8*3+3 = 6,307 weights).</summary>
    public static readonly TargetArchitecture PixelArchitecture = new() { Name = "tiny-pixel-mlp", Kind = TargetArchitecture.MlpKind, Inputs = 784, Hidden = [8], Classes = 3 };

    /// <summary>The tiny config with <see cref="PixelArchitecture"/> (written to <paramref name="architecturePath"/>) as
    /// the zoo's architecture and the VAE as long as its weights.</summary>
    public static string PixelJson(string architecturePath)
    {
        File.WriteAllText(architecturePath, PixelArchitecture.ToJson());
        return Json.Replace("\"architecture\": \"linear-head\"", $"\"architecture\": {System.Text.Json.JsonSerializer.Serialize(architecturePath)}")
                   .Replace("\"vectorLength\": 51,", $"\"vectorLength\": {PixelArchitecture.ParameterCount},");
    }

    /// <summary>The tiny config as a file, for the CLI and for PipelineConfig.Load.</summary>
    public static string WriteTo(string path)
    {
        File.WriteAllText(path, Json);
        return path;
    }
}
