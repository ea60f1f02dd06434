namespace ECQx.Experiments;

/// <summary>The machine, device and thread count step times were calibrated for (the parts of <see cref="StepTimeKey"/> shared by a sweep's models).</summary>
/// <param name="Machine">Processor count and CPU model.</param>
/// <param name="Device">Device name.</param>
/// <param name="Threads">torch threads.</param>
public sealed record CalibrationTarget(string Machine, string Device, int Threads);

/// <summary>
/// The estimated wall time of a sweep from calibrated <see cref="StepTimes"/>: of each baseline, each run, each shard and
/// the whole sweep in one process.
/// </summary>
/// <remarks>
/// <para>With <c>B</c> training batches per epoch (the full epoch, or <c>--max-batches</c>) and <c>E</c> epochs:
/// a pretrained baseline is one test evaluation; a baseline trained here is <c>E·(B·FP step + FP epoch end) + evaluation</c>;
/// a run is <c>setup + initial quantization + E·(B·step + quantized epoch end) + coding + evaluation</c>, its step the ECQ or
/// ECQx step. Epochs that early stopping saves are not subtracted, so the estimate is for the full schedule.</para>
/// <para>Shards are the plan's (<see cref="SweepPlan.ShardAssignment"/>, balanced by relative cost, never by these times);
/// a shard's time is the sum of its runs. The sweep's time is its baselines plus all runs.</para>
/// </remarks>
public sealed class SweepEstimate
{
    private readonly SweepPlan _plan;

    private SweepEstimate(SweepPlan plan, IReadOnlyDictionary<string, double> baselines, IReadOnlyDictionary<string, double> runs,
        CalibrationTarget target, DateTimeOffset measuredAt)
    {
        _plan = plan;
        BaselineSeconds = baselines;
        RunSeconds = runs;
        Target = target;
        MeasuredAt = measuredAt;
    }

    /// <summary>Seconds of each model's baseline, by model.</summary>
    public IReadOnlyDictionary<string, double> BaselineSeconds { get; }

    /// <summary>Seconds of each run, by run name.</summary>
    public IReadOnlyDictionary<string, double> RunSeconds { get; }

    /// <summary>What the times were calibrated for.</summary>
    public CalibrationTarget Target { get; }

    /// <summary>When the oldest of the step times used was measured.</summary>
    public DateTimeOffset MeasuredAt { get; }

    /// <summary>All baselines.</summary>
    public double BaselinesTotalSeconds => BaselineSeconds.Values.Sum();

    /// <summary>All runs.</summary>
    public double RunsTotalSeconds => RunSeconds.Values.Sum();

    /// <summary>The whole sweep in one process: baselines and runs.</summary>
    public double TotalSeconds => BaselinesTotalSeconds + RunsTotalSeconds;

    /// <summary>Seconds of each of <paramref name="shardCount"/> shards (index = shard): the sum of its runs.</summary>
    public IReadOnlyList<double> ShardSeconds(int shardCount)
    {
        var assignment = _plan.ShardAssignment(shardCount);
        var seconds = new double[shardCount];
        foreach (var run in _plan.Runs) seconds[assignment[run.Name]] += RunSeconds[run.Name];
        return seconds;
    }

    /// <summary>
    /// The estimate of <paramref name="plan"/> under <paramref name="config"/> (epochs, batch caps) from the step times of
    /// every model of the plan in <paramref name="times"/>; a model without times is an <see cref="ArgumentException"/>.
    /// </summary>
    public static SweepEstimate Create(SweepPlan plan, ResolvedConfig config, IReadOnlyDictionary<string, StepTimes> times, CalibrationTarget target)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(times);
        if (plan.TrainBatches <= 0) throw new ArgumentException("the plan has no training batch count (make it with SweepPlan.Create)");
        StepTimes For(string model) => times.TryGetValue(model, out var t) ? t : throw new ArgumentException($"no step times for model '{model}'");
        long BatchesPerEpoch(int? cap) => Math.Min(plan.TrainBatches, cap ?? long.MaxValue);

        var baselines = plan.Baselines.ToDictionary(b => b.Model,
            b => Baseline(For(b.Model), b.Pretrained, config.BaselineEpochs, BatchesPerEpoch(config.BaselineMaxBatchesPerEpoch)), StringComparer.Ordinal);
        var runs = plan.Runs.ToDictionary(r => r.Name,
            r => Run(For(r.Model), r.Method, config.Epochs, BatchesPerEpoch(config.MaxBatchesPerEpoch)), StringComparer.Ordinal);
        var used = plan.Baselines.Select(b => For(b.Model).MeasuredAt).ToList();
        return new SweepEstimate(plan, baselines, runs, target, used.Count > 0 ? used.Min() : DateTimeOffset.UtcNow);
    }

    /// <summary>A measurement date for messages: <c>yyyy-MM-dd HH:mm UTC</c>.</summary>
    public static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " UTC";

    /// <summary>Seconds of a baseline: one evaluation when <paramref name="pretrained"/>, else <paramref name="epochs"/> full-precision epochs of <paramref name="batchesPerEpoch"/> batches and a final evaluation.</summary>
    public static double Baseline(StepTimes t, bool pretrained, int epochs, long batchesPerEpoch) =>
        pretrained ? t.Evaluation : epochs * (batchesPerEpoch * t.FullPrecisionStep + t.FullPrecisionEpochEnd) + t.Evaluation;

    /// <summary>Seconds of a run of <paramref name="method"/>: setup, initial quantization, <paramref name="epochs"/> epochs of <paramref name="batchesPerEpoch"/> batches, coding and the decoded model's evaluation.</summary>
    public static double Run(StepTimes t, string method, int epochs, long batchesPerEpoch) =>
        t.RunSetup + t.InitialQuantization + epochs * (batchesPerEpoch * t.QuantizedStep(method) + t.QuantizedEpochEnd) + t.Coding + t.Evaluation;
}
