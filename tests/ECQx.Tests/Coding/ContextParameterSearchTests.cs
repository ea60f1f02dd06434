using ECQx.Coding;
using Xunit;

namespace ECQx.Tests.Coding;

public class ContextParameterSearchTests
{
    /// <summary>A slow, direct reference: replays each context's bins through a <see cref="ContextModel"/> per candidate.</summary>
    private static double[] ReferenceCosts(int[] levels, LevelStreamShape shape)
    {
        var sink = new RecordingSink();
        LevelBinarizer.Binarize(levels, shape, ref sink);
        var costs = new double[LevelContexts.Total * ContextParameters.CandidateCount];
        for (int c = 0; c < ContextParameters.CandidateCount; c++)
        {
            var models = new ContextModel[LevelContexts.Total];
            for (int k = 0; k < models.Length; k++) models[k] = ContextModel.FromCandidate(c);
            foreach (var (context, bin) in sink.Bins)
            {
                double p1 = models[context].ProbabilityOfOne / 65536.0;
                costs[context * ContextParameters.CandidateCount + c] -= Math.Log2(bin != 0 ? p1 : 1 - p1);
                models[context].Update(bin);
            }
        }
        return costs;
    }

    private sealed class RecordingSink : IBinSink
    {
        internal List<(int Context, int Bin)> Bins { get; } = [];

        public void Bin(int context, int bin) => Bins.Add((context, bin));

        public void Bypass(uint value, int count)
        {
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrialCostsAgreeWithADirectReplay(bool vectorized)
    {
        int[] levels = LevelSamples.Laplacian(20_000, 2.0, -40, 40, seed: 4);
        var shape = LevelStreamShape.For(40, 10);
        long[] costs = ContextParameterSearch.Costs(levels, shape, vectorized);
        double[] reference = ReferenceCosts(levels, shape);
        for (int i = 0; i < costs.Length; i++)
        {
            double bits = costs[i] / (double)ContextParameterSearch.CostScale;
            Assert.True(Math.Abs(bits - reference[i]) <= 0.002 * reference[i] + 0.5, $"entry {i}: {bits} vs {reference[i]}");
        }
    }

    [Fact]
    public void DefaultCandidateCostPredictsTheArithmeticCoderOutput()
    {
        // Two independent measures: the model's ideal code length and the range coder's actual bytes.
        int[] levels = LevelSamples.Laplacian(300_000, 0.8, -8, 7, seed: 8);
        var shape = LevelStreamShape.For(LevelBinarizer.MaxMagnitude(levels), CoderOptions.Default.GreaterThanFlags);
        long[] costs = ContextParameterSearch.Costs(levels, shape);
        double idealBits = 0;
        foreach (int context in LevelContexts.InUse(shape))
            idealBits += costs[context * ContextParameters.CandidateCount + ContextParameters.DefaultCandidate] / (double)ContextParameterSearch.CostScale;
        int coded = LevelCoder.Encode(levels, CoderOptions.Default with { OptimizeContextParameters = false }).Length;
        Assert.InRange(coded * 8.0, idealBits, idealBits * 1.001 + 64);
    }

    [Fact]
    public void ChoosesNothingWhenSignallingCostsMore()
    {
        var shape = LevelStreamShape.For(1, 10);
        long[] costs = ContextParameterSearch.Costs([0, 1, 0], shape);
        Assert.Null(ContextParameterSearch.Choose(costs, LevelContexts.InUse(shape)));
    }
}
