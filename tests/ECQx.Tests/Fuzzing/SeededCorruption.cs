namespace ECQx.Tests.Fuzzing;

/// <summary>The ways the seeded corruption tests damage a valid file.</summary>
internal enum Corruption
{
    /// <summary>One to four single-bit flips at random offsets.</summary>
    FlipBits,

    /// <summary>The file cut at a random length (possibly empty).</summary>
    Truncate,

    /// <summary>Random bytes appended after the end.</summary>
    AppendGarbage,

    /// <summary>A short run of bytes overwritten with random values.</summary>
    OverwriteRun,
}

/// <summary>
/// Seeded damage to a valid file's bytes, shared by the readers' corruption tests (WAV, IDX, checkpoints, .ecqx):
/// each test picks the kinds, the seed and what the reader must do with the result.
/// </summary>
internal static class SeededCorruption
{
    /// <summary>All kinds in turn: trial <paramref name="trial"/> gets kind <c>trial mod 4</c>.</summary>
    public static Corruption InTurn(int trial) => (Corruption)(trial % 4);

    /// <summary>A kind drawn from <paramref name="random"/>.</summary>
    public static Corruption Draw(Random random) => (Corruption)random.Next(4);

    /// <summary>A damaged copy of <paramref name="original"/> (which is left as it is).</summary>
    /// <param name="maxRun">Longest appended or overwritten run of random bytes.</param>
    /// <param name="within">When set, overwritten runs start in the first <paramref name="within"/> bytes (header fields).</param>
    public static byte[] Apply(byte[] original, Corruption kind, Random random, int maxRun = 16, int? within = null)
    {
        byte[] bytes = (byte[])original.Clone();
        switch (kind)
        {
            case Corruption.FlipBits:
                for (int flips = random.Next(1, 5); flips > 0 && bytes.Length > 0; flips--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case Corruption.Truncate:
                return bytes[..random.Next(bytes.Length)];
            case Corruption.AppendGarbage:
                var tail = new byte[random.Next(1, maxRun + 1)];
                random.NextBytes(tail);
                return [.. bytes, .. tail];
            case Corruption.OverwriteRun:
                if (bytes.Length == 0) return bytes;
                int at = random.Next(Math.Min(bytes.Length, within ?? bytes.Length));
                random.NextBytes(bytes.AsSpan(at, Math.Min(random.Next(1, maxRun + 1), bytes.Length - at)));
                return bytes;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a corruption kind");
        }
    }
}
