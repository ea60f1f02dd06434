using System.Globalization;
using ECQx.Experiments;

namespace ECQx.Cli.Cluster;

/// <summary>
/// Time limits (<c>#SBATCH --time</c>) of the three jobs of a sweep's Slurm chain, from a calibrated estimate: each job's
/// own estimate × <see cref="Margin"/>, at least <see cref="MinimumMinutes"/> minutes, rounded up to whole minutes.
/// </summary>
/// <param name="Baselines">Limit of the baselines job (all baselines).</param>
/// <param name="Shards">Limit of each array task (the longest shard).</param>
/// <param name="Report">Limit of the report job (not estimated: the minimum).</param>
internal sealed record SlurmJobTimes(string Baselines, string Shards, string Report)
{
    /// <summary>The factor on the estimate.</summary>
    public const double Margin = 1.5;

    /// <summary>The smallest limit written, in minutes.</summary>
    public const int MinimumMinutes = 10;

    /// <summary>The limits for <paramref name="estimate"/> in <paramref name="shardCount"/> shards.</summary>
    public static SlurmJobTimes From(SweepEstimate estimate, int shardCount) => new(
        Limit(estimate.BaselinesTotalSeconds), Limit(estimate.ShardSeconds(shardCount).DefaultIfEmpty(0).Max()), Limit(0));

    /// <summary>Slurm's <c>H:MM:00</c> (or <c>D-HH:MM:00</c> from a day on) for <paramref name="estimatedSeconds"/> × margin, at least the minimum, rounded up to minutes.</summary>
    public static string Limit(double estimatedSeconds)
    {
        long minutes = Math.Max(MinimumMinutes, (long)Math.Ceiling(Math.Max(0, estimatedSeconds) * Margin / 60 - 1e-9));
        long days = minutes / 1440, hours = minutes / 60 % 24, rest = minutes % 60;
        var inv = CultureInfo.InvariantCulture;
        return days > 0 ? $"{days.ToString(inv)}-{hours:00}:{rest:00}:00" : $"{(minutes / 60).ToString(inv)}:{rest:00}:00";
    }
}
