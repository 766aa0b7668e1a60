Console.WriteLine("RawDiffusion trainer");
