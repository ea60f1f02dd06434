using ECQx.Cli.Cluster;
using ECQx.Cli.Verbs;
using ECQx.Experiments;
using Xunit;

namespace ECQx.Tests.Experiments;

/// <summary>
/// The arithmetic of <see cref="SweepEstimate"/> against hand-computed seconds for injected step times, the
/// <c>h:mm:ss</c> of the plan and the Slurm time limits derived from an estimate.
/// </summary>
public sealed class SweepEstimateTests
{
    private static readonly DateTimeOffset Measured = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly CalibrationTarget Target = new("2 × test CPU", "cpu", 2);

    // Model a: FP 0.5, ECQ 1, ECQx 2, evaluation 3, FP epoch end 4, quantized epoch end 5, setup 6, initial 7, coding 8.
    private static readonly StepTimes A = new(0.5, 1, 2, 3, 4, 5, 6, 7, 8, Measured);
    // Model b: FP 0.25, ECQ 0.5, ECQx 1.5, evaluation 1, FP epoch end 2, quantized epoch end 0.5, setup 1, initial 2, coding 3.
    private static readonly StepTimes B = new(0.25, 0.5, 1.5, 1, 2, 0.5, 1, 2, 3, Measured.AddDays(1));

    /// <summary>a (1 M parameters) pretrained, b (2 M) trained here; 100 training samples of batch 10 = 10 batches, runs capped at 5.</summary>
    private static (SweepPlan Plan, ResolvedConfig Config) Sweep()
    {
        var config = new ResolvedConfig("primer", true, new[] { "a", "b" }, new[] { "ECQ", "ECQx" }, "lrp", new[] { 2 }, new[] { 0.1, 0.2 },
            Epochs: 2, BaselineEpochs: 3, MaxBatchesPerEpoch: 5, BaselineMaxBatchesPerEpoch: null, BatchSize: 10, LearningRate: 1e-3, Seed: 1,
            Data: "d", Device: "cpu", Threads: 2);
        var plan = SweepPlan.Create(config, m => m == "a", m => m == "a" ? 1_000_000 : 2_000_000, trainCount: 100, testCount: 20);
        return (plan, config);
    }

    private static SweepEstimate Estimate(double scale = 1)
    {
        var (plan, config) = Sweep();
        return SweepEstimate.Create(plan, config, new Dictionary<string, StepTimes> { ["a"] = Scaled(A, scale), ["b"] = Scaled(B, scale) }, Target);
    }

    private static StepTimes Scaled(StepTimes t, double k) => new(t.FullPrecisionStep * k, t.EcqStep * k, t.EcqxStep * k, t.Evaluation * k,
        t.FullPrecisionEpochEnd * k, t.QuantizedEpochEnd * k, t.RunSetup * k, t.InitialQuantization * k, t.Coding * k, t.MeasuredAt);

    [Fact]
    public void APretrainedBaselineIsOneEvaluationATrainedOneItsEpochsAndAFinalEvaluation()
    {
        var e = Estimate();
        Assert.Equal(3.0, e.BaselineSeconds["a"]);                   // pretrained: a's evaluation
        Assert.Equal(3 * (10 * 0.25 + 2) + 1, e.BaselineSeconds["b"]); // 3 epochs of the full 10 batches (no baseline cap): 14.5
        Assert.Equal(17.5, e.BaselinesTotalSeconds);
    }

    [Fact]
    public void ARunIsSetupInitialQuantizationItsEpochsCodingAndTheDecodedEvaluationWithEcqxSteps()
    {
        var e = Estimate();
        // setup + initial + 2 epochs × (5 capped batches × step + epoch end) + coding + evaluation
        Assert.Equal(6 + 7 + 2 * (5 * 1 + 5) + 8 + 3, e.RunSeconds["a-ecq-2bit-lambda0.1"]);   // 44
        Assert.Equal(6 + 7 + 2 * (5 * 2 + 5) + 8 + 3, e.RunSeconds["a-ecqx-2bit-lambda0.2"]);  // 54: ECQx steps
        Assert.Equal(1 + 2 + 2 * (5 * 0.5 + 0.5) + 3 + 1, e.RunSeconds["b-ecq-2bit-lambda0.2"]); // 13
        Assert.Equal(1 + 2 + 2 * (5 * 1.5 + 0.5) + 3 + 1, e.RunSeconds["b-ecqx-2bit-lambda0.1"]); // 23
        Assert.Equal(2 * (44 + 54 + 13 + 23), e.RunsTotalSeconds);
        Assert.Equal(17.5 + 268, e.TotalSeconds);
    }

    [Fact]
    public void ShardsAreThePlansShardsBalancedByCostAndTheirTimesSumTheirRuns()
    {
        var e = Estimate();
        // Relative costs: a-ECQ 12, a-ECQx 24, b-ECQ 24, b-ECQx 48. Greedy over 3 shards (cost desc, then name; ties to the
        // lowest shard): b-ecqx 0.1→0, b-ecqx 0.2→1, a-ecqx 0.1→2, a-ecqx 0.2→2, b-ecq 0.1→0, b-ecq 0.2→1, a-ecq 0.1→2, a-ecq 0.2→2.
        Assert.Equal(new[] { 23 + 13.0, 23 + 13.0, 54 + 54 + 44 + 44.0 }, e.ShardSeconds(3));
        Assert.Equal(new[] { e.RunsTotalSeconds }, e.ShardSeconds(1));
    }

    [Fact]
    public void TheEstimateSaysWhatItWasCalibratedForAndFromWhen()
    {
        var e = Estimate();
        Assert.Equal(Target, e.Target);
        Assert.Equal(Measured, e.MeasuredAt); // the older of the two models' measurements
    }

    [Fact]
    public void AModelWithoutStepTimesIsAnErrorNamingIt()
    {
        var (plan, config) = Sweep();
        var e = Assert.Throws<ArgumentException>(() => SweepEstimate.Create(plan, config, new Dictionary<string, StepTimes> { ["a"] = A }, Target));
        Assert.Contains("'b'", e.Message);
    }

    [Theory]
    [InlineData(0.0, "0:00:00")]
    [InlineData(59.2, "0:01:00")]
    [InlineData(3661.2, "1:01:02")]
    [InlineData(90000, "25:00:00")]
    public void PlanDurationsAreHoursMinutesSecondsRoundedUp(double seconds, string text) => Assert.Equal(text, PlanOutput.Duration(seconds));

    [Theory]
    [InlineData(0.0, "0:10:00")]      // the minimum
    [InlineData(400.0, "0:10:00")]    // 600 s × … exactly 10 min
    [InlineData(401.0, "0:11:00")]    // 601.5 s: rounded up
    [InlineData(3600.0, "1:30:00")]   // 1 h × 1.5
    [InlineData(86400.0, "1-12:00:00")] // 1.5 days
    public void SlurmLimitsAreTheEstimateTimesOneAndAHalfAtLeastTenMinutesRoundedUpToMinutes(double seconds, string limit) =>
        Assert.Equal(limit, SlurmJobTimes.Limit(seconds));

    [Fact]
    public void SlurmJobTimesTakeTheBaselinesTheLongestShardAndTheMinimumForTheReport()
    {
        var t = SlurmJobTimes.From(Estimate(scale: 60), 3);
        Assert.Equal("0:27:00", t.Baselines); // 17.5 s × 60 = 1050 s; × 1.5 = 26.25 min
        Assert.Equal("4:54:00", t.Shards);    // the longest shard: 196 s × 60 = 11760 s; × 1.5 = 294 min
        Assert.Equal("0:10:00", t.Report);
        Assert.Equal(new SlurmJobTimes("0:10:00", "0:10:00", "0:10:00"), SlurmJobTimes.From(Estimate(), 3)); // short jobs get the minimum
    }
}
