using System.CommandLine;
using RawDiffusion.Trainer;

var root = new RootCommand("RawDiffusion trainer. With no command it runs the demo on the real data shipped in data/.");
var classify = ClassifyCommand.Create();
root.Subcommands.Add(classify);
var proto = new Command("proto"); proto.SetAction(_ => RawDiffusion.Trainer.Proto.Run()); root.Subcommands.Add(proto);
root.SetAction(parse => ClassifyCommand.Run(ClassifyCommand.DefaultOptions()));
return root.Parse(args).Invoke();
