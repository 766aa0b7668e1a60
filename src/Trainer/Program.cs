using System.CommandLine;
using RawDiffusion.Trainer;

var root = new RootCommand("RawDiffusion trainer: D2NWG weight generation. With no command it runs the demo (configs/demo.json into runs/demo) on the real data shipped in data/.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ZooCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(SampleCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(ClassifyCommand.Create());
root.SetAction(_ => RunCommand.Demo());
return root.Parse(args).Invoke();
