using RawDiffusion.Trainer;

return Cli.BuildRoot().Parse(args).Invoke();
