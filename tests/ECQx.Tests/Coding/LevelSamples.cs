namespace ECQx.Tests.Coding;

/// <summary>Seeded synthetic level sequences for the coder tests.</summary>
internal static class LevelSamples
{
    /// <summary>I.i.d. rounded Laplacian levels of scale <paramref name="scale"/>, clamped to [lo, hi].</summary>
    internal static int[] Laplacian(int count, double scale, int lo, int hi, int seed)
    {
        var random = new Random(seed);
        var levels = new int[count];
        for (int i = 0; i < count; i++)
        {
            double u = random.NextDouble() - 0.5;
            double x = -scale * Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u));
            levels[i] = Math.Clamp((int)Math.Round(x), lo, hi);
        }
        return levels;
    }

    /// <summary>I.i.d. rounded Gaussian levels, clamped to [lo, hi].</summary>
    internal static int[] Gaussian(int count, double sd, int lo, int hi, int seed)
    {
        var random = new Random(seed);
        var levels = new int[count];
        for (int i = 0; i < count; i++)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            levels[i] = Math.Clamp((int)Math.Round(sd * g), lo, hi);
        }
        return levels;
    }

    /// <summary>Uniform levels over [lo, hi].</summary>
    internal static int[] Uniform(int count, int lo, int hi, int seed)
    {
        var random = new Random(seed);
        var levels = new int[count];
        for (int i = 0; i < count; i++) levels[i] = (int)random.NextInt64(lo, (long)hi + 1);
        return levels;
    }

    /// <summary>Signed codebook range of a b-bit layer, {−2^(b−1), …, 2^(b−1) − 1} (spec §a.3).</summary>
    internal static (int Lo, int Hi) SignedRange(int bits) => (-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
}
