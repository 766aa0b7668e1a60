using RawDiffusion.Language;
using RawDiffusion.Models.Language;
using RawDiffusion.Pipeline;

namespace RawDiffusion.Tests.Language;

/// <summary>configs/lm-tiny.json cut down further, run end to end on the committed bofh text: base, zoo, chunk VAE and
/// UNet, candidates, refine and the report; Algorithm 1's log of that real run is then checked decision by decision.</summary>
public class LmPipelineTests
{
    [Fact]
    public void TinyRunEndToEndAndRefineNeverAcceptsAWorseLayer()
    {
        var tiny = LmConfig.Load(Path.Combine(LmPartsTests.RepositoryConfigs(), "lm-tiny.json"));
        var g = tiny.Generation!;
        var config = tiny with
        {
            Domains = ["bofh", "en"],
            Base = tiny.Base with { Steps = 12, CheckpointEvery = 6 },
            Finetune = tiny.Finetune with { Training = tiny.Finetune.Training with { Steps = 4, CheckpointEvery = 2 }, KeepLast = 1, SaveEvery = 4 },
            Generation = g with { VaeTraining = g.VaeTraining with { Steps = 4 }, UNetTraining = g.UNetTraining with { Steps = 4 }, Candidates = 3, DdimSteps = 4 },
        };
        var folder = Path.Combine(Path.GetTempPath(), "rd-lm-" + Guid.NewGuid().ToString("N"));
        try
        {
            var run = LmRun.Open(folder, config.Validate("test"));
            var domains = run.LoadDomains(null);
            var options = new StageOptions();
            Assert.False(run.TrainBase(domains, options).Interrupted);
            Assert.True(run.Finetune(domains, options));
            Assert.Equal(4, run.Members().Count);
            Assert.All(run.Members(), m => Assert.True(File.Exists(Path.Combine(m.Folder, LlamaFiles.WeightsFile))));
            Assert.True(LayerGeneration.Train(run, options));
            foreach (var d in config.Domains) Assert.Equal(3, LayerGeneration.Generate(run, d, 1).Count);

            var selected = LayerSelection.Select(run).Tensors;
            foreach (var d in domains)
            {
                var decisions = LmReport.RefineDomain(run, d);
                var logged = Refine.ReadLog(LmReport.RefineLog(run, d.Name));
                Assert.Equal(selected.Select(s => s.Name), logged.Select(x => x.Tensor));
                for (int i = 0; i < logged.Count; i++)
                {
                    var x = logged[i];
                    Assert.Equal(decisions[i].CandidateLosses, x.CandidateLosses);
                    Assert.Equal(3, x.CandidateLosses.Length);
                    Assert.Equal(x.CandidateLosses.Min(), x.CandidateLosses[x.BestCandidate]);
                    // Never accepts a candidate that raises (or keeps) the loss; rejects only when none lowers it.
                    if (x.Accepted) Assert.True(x.CandidateLosses[x.BestCandidate] < x.CurrentLoss && x.LossAfter == x.CandidateLosses[x.BestCandidate]);
                    else Assert.True(x.CandidateLosses.All(l => l >= x.CurrentLoss) && x.LossAfter == x.CurrentLoss);
                    if (i > 0) Assert.Equal(logged[i - 1].LossAfter, x.CurrentLoss);
                }
                // The saved refined model has the loss the log ends with, and it is no worse than the base's.
                using var refined = LlamaFiles.Load(LmReport.RefinedFolder(run, d.Name));
                var (nats, bytes) = LmEvaluation.Loss(refined, LmReport.SelectionStream(d, config.Generation!.SelectionDocuments), config.Model.Context, config.EvalBatchSize);
                Assert.Equal(logged[^1].LossAfter, nats / bytes, 4);
                Assert.True(logged[^1].LossAfter <= logged[0].CurrentLoss);
            }
            var rows = LmReport.Evaluate(run, domains);
            LmReport.Write(run, rows);
            Assert.Equal(["bofh", "en"], rows.Select(r => r.Domain));
            Assert.All(rows, r => Assert.True(r.RandomControl > r.Base, "re-initialising the selected layers must hurt"));
            Assert.Contains("| bofh |", File.ReadAllText(Path.Combine(folder, "report.md")));
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }
}
