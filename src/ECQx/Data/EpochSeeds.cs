using TorchSharp;

namespace ECQx.Data;

/// <summary>
/// Derives independent, reproducible random streams from one seed: a stream is identified by
/// (seed, epoch, purpose), mixed with SplitMix64, so that shuffling and augmentation of epoch <c>e</c> do not
/// depend on whether epochs before it were run in this process.
/// </summary>
public static class EpochSeeds
{
    /// <summary>Stream id for the order of examples.</summary>
    public const ulong ShuffleStream = 0x5348554646UL;

    /// <summary>Stream id for data augmentation.</summary>
    public const ulong AugmentStream = 0x4155474DUL;

    /// <summary>Mixes the three inputs into one well-spread 64-bit seed.</summary>
    public static ulong Derive(ulong seed, long epoch, ulong stream)
    {
        ulong x = SplitMix(seed ^ SplitMix((ulong)epoch + 0x9E3779B97F4A7C15UL));
        return SplitMix(x ^ SplitMix(stream));
    }

    /// <summary>A CPU torch generator for the given stream (random numbers are drawn on CPU and moved to the
    /// target device, so CPU and CUDA runs see the same values).</summary>
    public static torch.Generator Generator(ulong seed, long epoch, ulong stream) =>
        new(Derive(seed, epoch, stream) & 0x7FFF_FFFF_FFFF_FFFFUL, torch.CPU);

    private static ulong SplitMix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
