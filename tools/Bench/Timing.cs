using System.Diagnostics;

namespace RawDiffusion.Bench;

/// <summary>
/// One timing policy for our code and for the PyTorch reference (which receives the same numbers):
/// a few warm-up runs, then repetitions until both a minimum count and a minimum time are reached,
/// and the median, which ignores the odd run disturbed by other processes on a shared machine.
/// </summary>
internal sealed record Timing(int Warmup = 2, int MinRepeats = 7, double MinSeconds = 1.0, int MaxRepeats = 200)
{
    public double MedianSeconds(Action operation)
    {
        for (int run = 0; run < Warmup; run++)
        {
            operation();
        }

        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < MaxRepeats && (times.Count < MinRepeats || total.Elapsed.TotalSeconds < MinSeconds))
        {
            long start = Stopwatch.GetTimestamp();
            operation();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        times.Sort();
        int middle = times.Count / 2;
        return times.Count % 2 == 1 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
    }

    /// <summary>The same policy as command-line options of tools/bench/torch_reference.py.</summary>
    public IEnumerable<string> ToPythonArguments() =>
    [
        "--warmup", Warmup.ToString(), "--min-repeats", MinRepeats.ToString(),
        "--min-seconds", MinSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-repeats", MaxRepeats.ToString(),
    ];
}
