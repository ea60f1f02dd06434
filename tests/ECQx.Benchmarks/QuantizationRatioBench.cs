using System.Runtime.CompilerServices;
using ECQx.Quantization;
using ECQx.Tests.Quantization;
using TorchSharp;

namespace ECQx.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/ECQx.Benchmarks -- ratios ecq</c>: ECQ assignment (Λ = 0.05, reference
/// options) of a Gaussian tensor, vectorized TorchSharp vs the scalar double-precision reference, for 36,864 and
/// 2,359,296 weights at 2–5 bit; also the ECQx (relevance) assignment and its number of β evaluations, and the
/// share of weights on which the vectorized and scalar assignments agree.
/// </summary>
internal static class QuantizationRatioBench
{
    [ModuleInitializer]
    internal static void Init() => RatioBenches.Register("ecq", Run);

    private static void Run()
    {
        TorchRuntime.EnsureLoaded();
        int threads = torch.get_num_threads();
        Console.WriteLine($"torch threads: {threads} (the '1 thread' column re-times the vectorized path with torch.set_num_threads(1))");
        Console.WriteLine($"{"weights",10} {"bits",4} {"vectorized ms",14} {"1 thread ms",12} {"scalar ms",10} {"ratio",8} {"ECQx ms",8} {"β its",6} {"agree",8}");
        foreach (int n in new[] { 36_864, 2_359_296 })
        {
            var w = Gaussian(n, seed: 7, sigma: 0.05f);
            var rel = Gaussian(n, seed: 8, sigma: 1f);
            foreach (int bits in new[] { 2, 3, 4, 5 })
            {
                using var t = torch.tensor(w);
                using var r = torch.tensor(rel);
                using var cb = Codebook.FromWeights(t, bits, name: "bench");
                var scb = ScalarEcqReference.Codebook(w, bits);
                double vec = RatioBenches.MedianMs(() => { using var q = EntropyConstrainedQuantizer.Assign(t, cb, EcqOptions.Default, n, "bench"); }, 15);
                torch.set_num_threads(1);
                double vec1 = RatioBenches.MedianMs(() => { using var q = EntropyConstrainedQuantizer.Assign(t, cb, EcqOptions.Default, n, "bench"); }, 15);
                torch.set_num_threads(threads);
                int iterations = 0;
                double ecqx = RatioBenches.MedianMs(() =>
                {
                    using var q = EntropyConstrainedQuantizer.Assign(t, cb, EcqOptions.Default, n, "bench", r, EcqxOptions.Default);
                    iterations = q.Ecqx!.Iterations;
                }, n > 100_000 ? 3 : 9);
                ScalarEcqResult? sres = null;
                double sca = RatioBenches.MedianMs(() => sres = ScalarEcqReference.Ecq(w, scb, 0.05, n), n > 100_000 ? 1 : 5);
                using var qv = EntropyConstrainedQuantizer.Assign(t, cb, EcqOptions.Default, n, "bench");
                var levels = qv.Levels.data<long>().ToArray();
                long agree = 0;
                for (int i = 0; i < n; i++) if (levels[i] == sres!.Assignment[i] + scb.MinLevel) agree++;
                Console.WriteLine($"{n,10} {bits,4} {vec,14:F2} {vec1,12:F2} {sca,10:F1} {sca / vec,7:F0}x {ecqx,8:F1} {iterations,6} {agree / (double)n,8:P3}");
            }
        }
    }

    private static float[] Gaussian(int n, int seed, float sigma)
    {
        var rng = new Random(seed);
        var w = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            w[i] = (float)(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return w;
    }
}
