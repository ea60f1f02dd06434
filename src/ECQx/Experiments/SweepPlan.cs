namespace ECQx.Experiments;

/// <summary>One quantization run of a sweep: a (model, method, bit width, Λ) point and its relative cost.</summary>
/// <param name="Name">Run name, its folder under <c>runs/</c> and its id within the sweep (<see cref="ExperimentRunner.RunName"/>).</param>
/// <param name="Model">Model.</param>
/// <param name="Method"><c>ECQ</c> or <c>ECQx</c>.</param>
/// <param name="Bits">Bit width.</param>
/// <param name="Lambda">Λ.</param>
/// <param name="EstimatedCost">Relative cost (see <see cref="SweepPlan"/>).</param>
public sealed record SweepRun(string Name, string Model, string Method, int Bits, double Lambda, double EstimatedCost);

/// <summary>The full-precision baseline a model's runs start from.</summary>
/// <param name="Model">Model.</param>
/// <param name="Pretrained">True when the weights are loaded (only evaluated), false when trained here.</param>
/// <param name="EstimatedCost">Relative cost (see <see cref="SweepPlan"/>).</param>
public sealed record SweepBaseline(string Model, bool Pretrained, double EstimatedCost);

/// <summary>
/// The runs of one sweep in sweep order (model, method, bit width, Λ), the baselines they depend on, and a stable
/// assignment of the runs to shards.
/// </summary>
/// <remarks>
/// <para>Costs are relative: training batches (epochs × batches per epoch, plus one pass over the test set) times the
/// model's parameters in millions; an ECQx run counts twice (its relevance pass is about one more backward pass).
/// They only order and balance work, they do not predict seconds: <see cref="SweepEstimate"/> does, from step times
/// calibrated on the machine (<see cref="StepTimes"/>); shards stay balanced by these costs, so they never depend on timings.</para>
/// <para>Sharding (<see cref="Shard"/>) is longest-processing-time greedy: runs sorted by cost (descending), then by
/// name (ordinal); each goes to the shard with the least cost so far, ties to the lowest shard index. It depends only
/// on the runs' names and costs, so the same plan always gives the same shards.</para>
/// </remarks>
public sealed class SweepPlan
{
    /// <summary>A plan of <paramref name="runs"/> (sweep order) depending on <paramref name="baselines"/>.</summary>
    public SweepPlan(IReadOnlyList<SweepBaseline> baselines, IReadOnlyList<SweepRun> runs)
    {
        Baselines = baselines ?? throw new ArgumentNullException(nameof(baselines));
        Runs = runs ?? throw new ArgumentNullException(nameof(runs));
        var duplicate = runs.GroupBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"the sweep lists run '{duplicate.Key}' twice");
        foreach (var r in runs)
            if (!baselines.Any(b => b.Model == r.Model))
                throw new ArgumentException($"run '{r.Name}' needs a baseline of model '{r.Model}', which the plan lacks");
    }

    /// <summary>One baseline per model, in model order.</summary>
    public IReadOnlyList<SweepBaseline> Baselines { get; }

    /// <summary>Every run, in sweep order.</summary>
    public IReadOnlyList<SweepRun> Runs { get; }

    /// <summary>Batches of one full training epoch (before <c>--max-batches</c> caps it); 0 when the plan was not made by <see cref="Create"/>.</summary>
    public long TrainBatches { get; init; }

    /// <summary>
    /// The plan of <paramref name="config"/>: <paramref name="pretrained"/> says whether a model's baseline is loaded,
    /// <paramref name="parameters"/> gives its parameter count, and batch counts come from <paramref name="trainCount"/>
    /// and <paramref name="testCount"/> samples.
    /// </summary>
    public static SweepPlan Create(ResolvedConfig config, Func<string, bool> pretrained, Func<string, long> parameters, long trainCount, long testCount)
    {
        ArgumentNullException.ThrowIfNull(config);
        int batch = Math.Max(1, config.BatchSize);
        long trainBatches = (trainCount + batch - 1) / batch;
        long testBatches = (testCount + batch - 1) / batch;
        long Batches(int epochs, int? cap) => epochs * Math.Min(trainBatches, cap ?? long.MaxValue) + testBatches;

        var baselines = new List<SweepBaseline>();
        var runs = new List<SweepRun>();
        foreach (string model in config.Models)
        {
            double megaParams = parameters(model) / 1e6;
            bool loaded = pretrained(model);
            baselines.Add(new SweepBaseline(model, loaded,
                megaParams * (loaded ? testBatches : Batches(config.BaselineEpochs, config.BaselineMaxBatchesPerEpoch))));
            double runCost = megaParams * Batches(config.Epochs, config.MaxBatchesPerEpoch);
            foreach (string method in config.Methods)
                foreach (int bits in config.Bits)
                    foreach (double lambda in config.Lambdas)
                        if (!(method == "ECQx" && lambda == 0)) // λ·I vanishes at Λ = 0: ECQx's scaled zero cost equals ECQ's, the run would repeat ECQ's
                        runs.Add(new SweepRun(ExperimentRunner.RunName(model, method, bits, lambda), model, method, bits, lambda,
                            method == "ECQx" ? 2 * runCost : runCost));
        }
        return new SweepPlan(baselines, runs) { TrainBatches = trainBatches };
    }

    /// <summary>The shard (0-based) of every run, by name, for <paramref name="shardCount"/> shards.</summary>
    public IReadOnlyDictionary<string, int> ShardAssignment(int shardCount)
    {
        if (shardCount < 1) throw new ArgumentOutOfRangeException(nameof(shardCount), shardCount, "the shard count must be at least 1");
        var load = new double[shardCount];
        var assignment = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var run in Runs.OrderByDescending(r => r.EstimatedCost).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            int best = 0;
            for (int s = 1; s < shardCount; s++)
                if (load[s] < load[best]) best = s;
            load[best] += run.EstimatedCost;
            assignment[run.Name] = best;
        }
        return assignment;
    }

    /// <summary>The runs of shard <paramref name="shard"/>, in sweep order.</summary>
    public IReadOnlyList<SweepRun> Shard(SweepShard shard)
    {
        var assignment = ShardAssignment(shard.Count);
        return Runs.Where(r => assignment[r.Name] == shard.Index).ToList();
    }
}

/// <summary>Shard <see cref="Index"/> (0-based) of <see cref="Count"/>.</summary>
/// <param name="Index">0-based shard index.</param>
/// <param name="Count">Number of shards.</param>
public readonly record struct SweepShard(int Index, int Count)
{
    /// <summary>Parses <c>I/N</c> (0 ≤ I &lt; N); anything else is an <see cref="ArgumentException"/> naming the text.</summary>
    public static SweepShard Parse(string text)
    {
        var parts = (text ?? "").Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i)
            || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
            throw new ArgumentException($"--shard '{text}' is not I/N (a 0-based shard index and the shard count, e.g. 0/4)");
        if (n < 1) throw new ArgumentException($"--shard '{text}': the shard count must be at least 1");
        if (i >= n) throw new ArgumentException($"--shard '{text}': the index must be below the count (shards are 0-based: 0/{n} … {n - 1}/{n})");
        return new SweepShard(i, n);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}
