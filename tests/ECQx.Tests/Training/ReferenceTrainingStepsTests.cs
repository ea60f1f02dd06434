using ECQx.IO;
using ECQx.Models;
using ECQx.Relevance;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace ECQx.Tests.Training;

/// <summary>
/// A fact that needs <c>shared/oracle/train-steps/</c> beside the repository clone (the workspace and CI have it); without it
/// the test is reported as skipped with the reason.
/// </summary>
public sealed class ReferenceStepsFactAttribute : FactAttribute
{
    public ReferenceStepsFactAttribute()
    {
        if (ReferenceTrainingCase.OracleRoot is null)
            Skip = "shared/oracle/train-steps is not beside the repository clone (../shared); the step-by-step comparison with the reference implementation is skipped.";
    }
}

/// <summary>
/// Quantization-aware training against the reference implementation, step by step, on the shared case
/// <c>ecqx-4bit-lambda0.05</c> (docs/parity.md): the pretrained ResNet20, four batches of 32, Adam lr 1e-3, ECQx at
/// 4 bit, Λ 0.05, p 0.1, α 0.1, LRP <c>epsilon_plus_flat_bn_pass</c>. Torch runs with two threads, as the reference did
/// (process-global, hence the serial collection).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class ReferenceTrainingStepsTests(ITestOutputHelper output)
{
    private const string Case = "ecqx-4bit-lambda0.05";

    /// <summary>What the reference's LRP saw (tests/ECQx.Tests/assets/reference-steps, docs/parity.md).</summary>
    private static string LrpStatePath => Path.Combine(TestPaths.AssemblyDir, "assets", "reference-steps", Case + "-lrp-state.safetensors");

    /// <summary>
    /// Given the reference's running relevance of each step, every step equals the reference's weights, and the model the
    /// relevance of each step sees (eval mode; BN running statistics after the batch; BN γ/β and biases after the model
    /// Adam step; the quantized tensors moved one Adam step off the grid, §b.8) is the reference's: everything but the
    /// relevance itself (forward/backward, scaled gradients, both Adam steps and their state, the ECQx β search) follows
    /// the reference.
    /// </summary>
    [ReferenceStepsFact]
    public void WithTheReferenceRelevanceEveryStepEqualsTheReference()
    {
        using var reference = ReferenceTrainingCase.Open(Case);
        var replay = new ReplayedReferenceRelevance(reference);
        var steps = reference.Train(replay, relevanceAlpha: 0);
        Assert.Equal(reference.Steps + 1, steps.Count);
        for (int i = 0; i <= reference.Steps; i++)
        {
            double same = reference.IdenticalFraction(i, steps[i]);
            output.WriteLine($"step {i}: {100 * same:F4} % identical, worst layer sparsity gap {reference.WorstSparsityGapPoints(i, steps[i]):F3} points");
            Assert.True(same == 1.0, $"step {i}: {100 * same:F4} % of the weights equal the reference's (expected all)");
        }

        Assert.All(replay.TrainingModeSeen, training => Assert.False(training));
        using var seen = SafeTensors.Load(LrpStatePath);
        int compared = 0;
        foreach (var (key, expected) in seen.Tensors)
        {
            int slash = key.IndexOf('/');
            int step = int.Parse(key["lrp-state".Length..slash], System.Globalization.CultureInfo.InvariantCulture);
            var ours = replay.StatesSeen[step - 1][key[(slash + 1)..]];
            double scale = Math.Max(1e-3, expected.abs().max().item<float>());
            double worst = ours.sub(expected).abs().max().item<float>() / scale;
            if (worst > 1e-6) output.WriteLine($"{key}: largest difference {worst:E2} of the largest magnitude");
            Assert.True(worst <= 1e-5, $"{key}: our model state at the relevance of step {step} differs from the reference's by {worst:E2} (relative to its largest magnitude)");
            compared++;
        }
        Assert.True(compared > 300, $"only {compared} tensors of the recorded LRP states were compared");
    }

    /// <summary>
    /// Our LRP on the model state the reference's LRP saw in step 2 (the step where free-running training departs) gives
    /// the reference's batch relevance up to float rounding. The batch relevance is recovered from the running ones,
    /// <c>(R2 − α·R1)/(1 − α)</c>. LRP-ε with ε = 1e-6 divides by pre-activations that can be ~1e-6 at single output
    /// positions, where a rounding-level difference flips the stabiliser's sign, so agreement is judged per layer by
    /// cosine: the reference itself, rerun on this state on another machine, reaches 0.9959 in its worst layer (0.9966
    /// with its convolutions computed without oneDNN); ours 0.9966 (docs/parity.md).
    /// </summary>
    [ReferenceStepsFact]
    public void OurLrpOnTheReferenceStateGivesTheReferenceRelevance()
    {
        using var reference = ReferenceTrainingCase.Open(Case);
        using var seen = SafeTensors.Load(LrpStatePath);
        torch.set_num_threads(ReferenceTrainingCase.Threads);
        using var scope = torch.NewDisposeScope();
        var model = ModelZoo.Create("resnet20");
        StateDictLoader.Load(model, seen.Tensors.Where(kv => kv.Key.StartsWith("lrp-state2/", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["lrp-state2/".Length..], kv => kv.Value), "reference LRP state of step 2", strict: false);
        model.eval();
        var inputs = reference.Inputs.narrow(0, reference.BatchSize, reference.BatchSize);
        var targets = reference.Labels.narrow(0, reference.BatchSize, reference.BatchSize);
        var lrp = RelevanceMethods.Create("lrp:epsilon_plus_flat_bn_pass", new RelevanceOptions { WeightRule = "epsilon", Canonizer = "resnet" });
        using var ours = lrp.Attribute(model, inputs, targets);
        double worst = 1;
        foreach (var n in reference.Names)
        {
            var batch = reference.Relevance(2, n).sub(reference.Relevance(1, n).mul(reference.Alpha)).div(1 - reference.Alpha).to(torch.float64);
            var o = ours[n].to(torch.float64).flatten().contiguous();
            double cos = o.dot(batch.flatten().contiguous()).item<double>() / (o.norm().item<double>() * batch.norm().item<double>());
            output.WriteLine($"{n}: cosine {cos:F6}");
            worst = Math.Min(worst, cos);
        }
        Assert.True(worst >= 0.99, $"worst layer cosine {worst:F6}");
    }

    /// <summary>
    /// With our own LRP (the reference's setting), free-running training stays within the spread the reference shows
    /// against itself when only float rounding changes (its convolutions with and without oneDNN, docs/parity.md):
    /// ≥ 99.9 % identical weights after the first step, ≥ 98 % after four, every layer's sparsity within 1.5 points.
    /// The relevance's sensitivity to rounding (above) makes bit parity beyond the first step unattainable for any
    /// implementation not repeating the reference's exact float operations.
    /// </summary>
    [ReferenceStepsFact]
    public void WithOurLrpTrainingStaysWithinTheReferenceRoundingSpread()
    {
        using var reference = ReferenceTrainingCase.Open(Case);
        Assert.True(reference.UsesLrp);
        var lrp = RelevanceMethods.Create("lrp:epsilon_plus_flat_bn_pass", new RelevanceOptions { WeightRule = "epsilon", Canonizer = "resnet" });
        var steps = reference.Train(lrp, reference.Alpha);
        var failures = new List<string>();
        for (int i = 0; i <= reference.Steps; i++)
        {
            double same = reference.IdenticalFraction(i, steps[i]), gap = reference.WorstSparsityGapPoints(i, steps[i]);
            output.WriteLine($"step {i}: {100 * same:F4} % identical, worst layer sparsity gap {gap:F3} points");
            double floor = i == 0 ? 1.0 : i == 1 ? 0.999 : 0.98;
            if (same < floor || gap > 1.5) failures.Add($"step {i}: {100 * same:F4} % identical, worst layer sparsity gap {gap:F3} points");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }
}
