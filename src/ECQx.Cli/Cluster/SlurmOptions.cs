using System.Text.RegularExpressions;

namespace ECQx.Cli.Cluster;

/// <summary>The resources and shape of a sweep's Slurm jobs (<c>ecqx reproduce … --slurm</c>).</summary>
internal sealed partial record SlurmOptions
{
    /// <summary>Partition (<c>--partition</c>), or null for the cluster's default.</summary>
    public string? Partition { get; init; }
    /// <summary>GPUs per task (<c>--gpus-per-task</c>), or null for none.</summary>
    public int? GpusPerTask { get; init; }
    /// <summary>CPUs per task (<c>--cpus-per-task</c>); also the torch thread count unless <c>--threads</c> is given.</summary>
    public int? CpusPerTask { get; init; }
    /// <summary>Time limit of each job (Slurm's format, e.g. <c>4:00:00</c> or <c>1-00:00:00</c>), or null for the partition's default.</summary>
    public string? Time { get; init; }
    /// <summary>At most this many shards run at once (<c>--array=…%K</c>), or null for no limit.</summary>
    public int? MaxParallel { get; init; }
    /// <summary>Number of shards of the array job; null = one per run.</summary>
    public int? Shards { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Partition is not null && !NameLike().IsMatch(Partition)) throw new ArgumentException($"--partition '{Partition}' is not a partition name (letters, digits, - _ . and commas)");
        if (GpusPerTask is < 1) throw new ArgumentException($"--gpus-per-task must be at least 1 (got {GpusPerTask})");
        if (CpusPerTask is < 1) throw new ArgumentException($"--cpus-per-task must be at least 1 (got {CpusPerTask})");
        if (MaxParallel is < 1) throw new ArgumentException($"--max-parallel must be at least 1 (got {MaxParallel})");
        if (Shards is < 1) throw new ArgumentException($"--shards must be at least 1 (got {Shards})");
        if (Time is not null && !TimeLike().IsMatch(Time))
            throw new ArgumentException($"--time '{Time}' is not a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)");
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.,-]+$")]
    private static partial Regex NameLike();

    [GeneratedRegex(@"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|unlimited|INFINITE|infinite)$")]
    private static partial Regex TimeLike();
}
