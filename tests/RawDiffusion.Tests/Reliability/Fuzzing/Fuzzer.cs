using System.Collections.Concurrent;
using System.Diagnostics;
using CsCheck;

namespace RawDiffusion.Tests.Reliability.Fuzzing;

/// <summary>
/// Mutation fuzzing with CsCheck: every case is a valid seed file with one to four <see cref="Mutation"/>s applied, and
/// must end in a valid result or the parser's own error naming the file; any other exception, a case slower than
/// <see cref="CaseLimit"/>, or one that allocates more than the parser's stated bound fails, and CsCheck shrinks it to
/// the smallest failing case and prints it with the seed that repeats it.
/// CI runs <see cref="DefaultCases"/> cases per parser; RAWDIFFUSION_FUZZ_LONG=1 runs <see cref="LongCases"/>, and
/// RAWDIFFUSION_FUZZ_CASES=N any number.
/// </summary>
internal static class Fuzzer
{
    public const long DefaultCases = 10_000;
    public const long LongCases = 1_000_000;

    /// <summary>The most one case may take: a parser must never hang on its input.</summary>
    public static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(5);

    public static long Cases =>
        Environment.GetEnvironmentVariable("RAWDIFFUSION_FUZZ_CASES") is { } n ? long.Parse(n)
        : Environment.GetEnvironmentVariable("RAWDIFFUSION_FUZZ_LONG") == "1" ? LongCases : DefaultCases;

    /// <summary>A seed and the mutations applied to it.</summary>
    public sealed record Case(int Seed, Mutation[] Mutations)
    {
        public byte[] Apply(IReadOnlyList<byte[]> seeds) => Mutations.Aggregate(seeds[Seed % seeds.Count], (data, m) => m.Apply(data));

        public override string ToString() => $"seed file {Seed}, mutations {string.Join(", ", Mutations.Select(m => m.ToString()))}";
    }

    public static Gen<Case> CaseGen(int seeds) => Gen.Select(Gen.Int[0, seeds - 1], Mutation.Any.Array[1, 4], (s, m) => new Case(s, m));

    /// <summary>Runs <see cref="Cases"/> cases of <paramref name="gen"/> through <paramref name="check"/> on every core;
    /// returns how many ran.</summary>
    public static long Run<T>(Gen<T> gen, Action<T> check)
    {
        long ran = 0;
        gen.Sample(value =>
        {
            Interlocked.Increment(ref ran);
            check(value);
        }, iter: Cases);
        Assert.True(ran >= Cases, $"only {ran} of {Cases} cases ran");
        return ran;
    }

    /// <summary>Fuzzes a file parser. <paramref name="prepare"/> gets a fresh folder per thread (to put files a case's
    /// file refers to) and returns the path each case is written to; <paramref name="parse"/> reads it fully;
    /// <paramref name="isOwnError"/> says whether an exception is the parser's own; its message must name the file.</summary>
    public static void Files(IReadOnlyList<byte[]> seeds, Func<string, string> prepare, Action<string> parse, Func<Exception, bool> isOwnError, Func<long, long> allocationBound)
    {
        string root = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "rawdiffusion-fuzz-" + Guid.NewGuid().ToString("N"));
        var paths = new ConcurrentDictionary<int, string>();
        try
        {
            Run(CaseGen(seeds.Count), c =>
            {
                string path = paths.GetOrAdd(Environment.CurrentManagedThreadId, id =>
                {
                    string folder = Path.Combine(root, id.ToString());
                    Directory.CreateDirectory(folder);
                    return prepare(folder);
                });
                var bytes = c.Apply(seeds);
                File.WriteAllBytes(path, bytes);
                Check(c, path, () => parse(path), isOwnError, allocationBound(bytes.Length));
            });
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>One case: <paramref name="parse"/> must succeed or throw its own error naming <paramref name="source"/>,
    /// in time and within <paramref name="allocationBound"/> bytes.</summary>
    public static void Check(object c, string source, Action parse, Func<Exception, bool> isOwnError, long allocationBound)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        try { parse(); }
        catch (Exception e) when (isOwnError(e))
        {
            // The file formats' errors name the file (the CLI shows their full path, see Cli.Describe).
            Assert.True(e.Message.Contains(Path.GetFileName(source)), $"{c}: the error does not name {source}: {e.Message}");
        }
        catch (Exception e)
        {
            Assert.Fail($"{c}: {e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
        }
        var elapsed = clock.Elapsed;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.True(elapsed < CaseLimit, $"{c}: took {elapsed.TotalSeconds:F1} s");
        Assert.True(allocated <= allocationBound, $"{c}: allocated {allocated:N0} bytes, more than the bound of {allocationBound:N0}");
    }
}
