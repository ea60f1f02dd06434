using ECQx.Experiments;
using Xunit;

namespace ECQx.Tests.Experiments;

/// <summary>Choosing the sweep setting where ECQ and ECQx differ most (the per-layer chart must not land on Λ = 0).</summary>
public sealed class MethodContrastTests
{
    private static QuantizationRunResult Run(string method, int bits, double lambda, params double[] layerSparsity) =>
        new($"m-{method}-{bits}-{lambda}", "m", method, null, bits, lambda, 1, 90, 90, layerSparsity.Average(), 100, 1000, 10, 90, 110, null, "x.ecqx", 1,
            layerSparsity.Select((s, i) => new LayerSummary($"layer{i}", 100, s, 1, 10)).ToList());

    [Fact]
    public void PicksTheSettingWithTheLargestMeanPerLayerDifference()
    {
        var results = new[]
        {
            Run("ECQ", 4, 0.0, 10, 20), Run("ECQx", 4, 0.0, 10, 20),       // identical: mean |Δ| = 0
            Run("ECQ", 4, 0.1, 50, 60), Run("ECQx", 4, 0.1, 48, 66),       // |−2| and |6| → 4
            Run("ECQ", 2, 0.1, 70, 80), Run("ECQx", 2, 0.1, 75, 79),       // 5 and 1 → 3
            Run("ECQ", 2, 0.4, 90, 95),                                    // no ECQx partner: not a candidate
        };
        var c = MethodContrast.MostDifferentSetting(results, "m")!;
        Assert.Equal((4, 0.1), (c.Bits, c.Lambda));
        Assert.Equal(4.0, c.MeanAbsLayerDifference, 12);
    }

    [Fact]
    public void TiesGoToTheLargerLambdaSoLambdaZeroIsALastResort()
    {
        var tie = new[] { Run("ECQ", 4, 0.0, 10), Run("ECQx", 4, 0.0, 10), Run("ECQ", 4, 0.2, 30), Run("ECQx", 4, 0.2, 30) };
        Assert.Equal(0.2, MethodContrast.MostDifferentSetting(tie, "m")!.Lambda);
        var onlyZero = new[] { Run("ECQ", 4, 0.0, 10), Run("ECQx", 4, 0.0, 10) };
        Assert.Equal(0.0, MethodContrast.MostDifferentSetting(onlyZero, "m")!.Lambda);
    }

    [Fact]
    public void NoCommonSettingGivesNull()
    {
        Assert.Null(MethodContrast.MostDifferentSetting(new[] { Run("ECQ", 4, 0.1, 10) }, "m"));
        Assert.Null(MethodContrast.MostDifferentSetting(new[] { Run("ECQ", 4, 0.1, 10), Run("ECQx", 4, 0.1, 12) }, "other-model"));
    }
}
