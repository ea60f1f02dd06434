namespace ECQx.Benchmarks;

/// <summary>Synthetic level tensors for the coder benchmarks (seeded, no TorchSharp).</summary>
internal static class CodingSamples
{
    /// <summary>512·512·3·3 = 2,359,296 levels, the size of a 512→512 3×3 conv layer.</summary>
    internal const int Filters = 512, PerFilter = 512 * 9;

    /// <summary>
    /// 4-bit levels (−8..7) of ~70 % sparsity. <paramref name="structured"/>: each output filter draws its own
    /// Laplacian scale (log-normal spread), as trained conv filters differ in magnitude; otherwise i.i.d.
    /// with one scale (0.415 gives P(level = 0) ≈ 0.70).
    /// </summary>
    internal static int[] FourBitLaplacian(bool structured, int seed = 42)
    {
        var random = new Random(seed);
        var levels = new int[Filters * PerFilter];
        for (int f = 0; f < Filters; f++)
        {
            double scale = structured ? 0.33 * Math.Exp(0.6 * Normal(random)) : 0.415;
            for (int i = 0; i < PerFilter; i++)
            {
                double u = random.NextDouble() - 0.5;
                double x = -scale * Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u));
                levels[f * PerFilter + i] = Math.Clamp((int)Math.Round(x), -8, 7);
            }
        }
        return levels;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
