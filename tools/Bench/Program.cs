using System.Diagnostics;
using RawDiffusion.Backends.Cpu;

int[] sizes = args.Length > 0 ? args[0].Split(',').Select(int.Parse).ToArray() : [256, 512, 1024, 2048];
int threads = args.Length > 1 ? int.Parse(args[1]) : Environment.ProcessorCount;
var rng = new Random(1);
foreach (int n in sizes)
{
    var a = new float[n * n]; var b = new float[n * n]; var c = new float[n * n];
    for (int i = 0; i < a.Length; i++) { a[i] = (float)rng.NextDouble() - 0.5f; b[i] = (float)rng.NextDouble() - 0.5f; }
    // check
    {
        ManagedGemm.Sgemm(ManagedGemm.BestSgemmKernel, threads, false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
        double maxErr = 0;
        for (int t = 0; t < 50; t++) { int i = rng.Next(n), j = rng.Next(n); double s = 0; for (int p = 0; p < n; p++) s += (double)a[i*n+p]*b[p*n+j]; maxErr = Math.Max(maxErr, Math.Abs(s - c[i*n+j])); }
        Console.Write($"n={n} maxErr={maxErr:E2} ");
    }
    var times = new List<double>();
    int reps = Math.Max(5, (int)(2e10 / (2.0*n*n*n)));
    reps = Math.Min(reps, 50);
    for (int r = 0; r < reps + 2; r++)
    {
        var sw = Stopwatch.StartNew();
        ManagedGemm.Sgemm(ManagedGemm.BestSgemmKernel, threads, false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
        if (r >= 2) times.Add(sw.Elapsed.TotalSeconds);
    }
    times.Sort();
    Console.WriteLine($"median {2.0*n*n*n/times[times.Count/2]/1e9:F1} GFLOP/s best {2.0*n*n*n/times[0]/1e9:F1}");
}
