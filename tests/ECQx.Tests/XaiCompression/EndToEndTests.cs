using ECQx.Data;
using ECQx.XaiCompression;
using ECQx.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.XaiCompression;

/// <summary>
/// The three tools on a small synthetic task (Gaussian blobs, 4 classes): after fine-tuning, accuracy stays within
/// 6 points of the full-precision model (stated tolerance).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class EndToEndTests
{
    private const double Tolerance = 6.0;

    private static (nn.Module<Tensor, Tensor> Model, DatasetSplits Data, double Accuracy) Trained(long seed)
    {
        var data = XaiCompressionFixtures.Blobs(seed);
        var model = XaiCompressionFixtures.Mlp(seed);
        XaiCompressionFixtures.Train(model, data, epochs: 4);
        double acc = ModelEvaluation.Accuracy(model, data.Test);
        Assert.True(acc > 60, $"fixture model only reaches {acc}%");
        return (model, data, acc);
    }

    [Theory]
    [InlineData("deeplift", PruningStructure.Weight)]
    [InlineData("lrp", PruningStructure.Filter)]
    [InlineData("magnitude", PruningStructure.Filter)]
    public void PruningKeepsAccuracyAfterFineTuning(string method, PruningStructure structure)
    {
        var (model, data, acc) = Trained(21);
        var r = Pruning.Run(model, data, new PruningOptions
        {
            Ratio = 0.5, Structure = structure, Calibration = new CalibrationOptions { Method = method, Batches = 2 },
            FineTune = XaiCompressionFixtures.FineTune(4),
        });
        Assert.Equal(acc, r.AccuracyBefore, 6);
        Assert.InRange(r.PrunedFraction, 0.49, 0.51);
        Assert.True(r.AccuracyFineTuned >= acc - Tolerance, $"{method}/{structure}: {acc}% → {r.AccuracyFineTuned}%");
        Assert.Equal(ModelEvaluation.Accuracy(r.Model, data.Test), r.AccuracyFineTuned, 9); // taken from the trainer's last row
        if (structure == PruningStructure.Filter) Assert.True(r.ParametersAfter < r.ParametersBefore);
        else
        {
            // the mask stayed fixed through fine-tuning: exactly the pruned weights are zero
            var ps = r.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (n, m) in r.Masks!)
                Assert.True(ps[n].detach().mul(m.logical_not().to(float32)).abs().sum().item<float>() == 0, $"pruned weights of {n} regrew");
            Assert.Equal(r.PrunedUnits, r.ParametersBefore - r.NonZeroAfter);
        }
    }

    [Theory]
    [InlineData("deeplift")]
    [InlineData("none")]
    public void WeightSharingKeepsAccuracyAndUsesAtMost2PowBValues(string weighting)
    {
        var (model, data, acc) = Trained(22);
        var r = WeightSharing.Run(model, data, new WeightSharingOptions
        {
            Bits = 3, Weighting = weighting, Calibration = new CalibrationOptions { Batches = 2 }, FineTune = XaiCompressionFixtures.FineTune(1),
        });
        Assert.True(r.AccuracyFineTuned >= acc - Tolerance, $"{weighting}: {acc}% → {r.AccuracyFineTuned}%");
        var ps = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var l in r.Layers)
        {
            Assert.True(ps[l.Name].detach().unique().Item1.numel() <= 8);
            // weights equal their cluster's shared value after fine-tuning
            Assert.True(TensorAssert.Same(ps[l.Name].detach(), l.Centroids.index_select(0, l.Assignment.reshape(-1)).reshape(ps[l.Name].shape)));
            l.Dispose();
        }
    }

    [Theory]
    [InlineData("deeplift")]
    [InlineData("uniform")]
    public void MixedPrecisionMeetsTheBudgetAndKeepsAccuracy(string method)
    {
        var (model, data, acc) = Trained(23);
        var r = MixedPrecision.Run(model, data, new MixedPrecisionOptions
        {
            Budget = 3.5, Method = method, Calibration = new CalibrationOptions { Batches = 2 }, FineTune = XaiCompressionFixtures.FineTune(1),
        });
        Assert.True(r.AverageBits <= 3.5 + 1e-12);
        if (method != "uniform") Assert.InRange(r.Allocation.BudgetBits - r.Allocation.TotalBits, 0, 127); // layer sizes 512, 1024, 128: totals are multiples of 128
        Assert.True(r.AccuracyFineTuned >= acc - Tolerance, $"{method}: {acc}% → {r.AccuracyFineTuned}%");
        Assert.Equal(ModelEvaluation.Accuracy(model, data.Test), r.AccuracyFineTuned, 9); // taken from the trainer's last row
        var ps = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var l in r.Layers)
        {
            // every weight is an integer multiple of its step within ±(2^{b−1}−1)
            var q = ps[l.Name].detach().to(float64) / l.StepSize;
            Assert.True((q - q.round()).abs().max().item<double>() < 1e-3);
            Assert.True(q.abs().max().item<double>() <= FixedPointWeightQuantizer.MaxLevel(l.Bits) + 1e-3);
        }
        // The one quantized-model route (as notebook 04 codes it): the model and its codebooks as a QuantizedModel give the
        // same .ecqx file as compressing its saved state dict (the file route of `ecqx compress`).
        using var quantized = ECQx.Quantization.QuantizedModel.FromStateDict(model.state_dict(), r.Codebooks);
        byte[] direct = ECQx.Coding.EcqxModelFile.Serialize(ECQx.Coding.EcqxModel.From(quantized));
        byte[] viaFile = ECQx.Coding.EcqxModelFile.Serialize(ECQx.Coding.StateDictAdapter.FromStateDict(model.state_dict(),
            ECQx.Quantization.QuantizedStateDict.Metadata(r.Codebooks)));
        Assert.Equal(viaFile, direct);
    }

    [Fact]
    public void BadOptionsAreClearErrors()
    {
        Assert.Contains("ratio", Assert.Throws<ArgumentException>(() => new PruningOptions { Ratio = 1.2 }.Validate()).Message);
        Assert.Contains("unknown relevance method", Assert.Throws<ArgumentException>(() => new WeightSharingOptions { Weighting = "bogus" }.Validate()).Message);
        Assert.Contains("bits", Assert.Throws<ArgumentException>(() => new WeightSharingOptions { Bits = 0 }.Validate()).Message);
        Assert.Contains("budget", Assert.Throws<ArgumentException>(() => new MixedPrecisionOptions { Budget = 1 }.Validate()).Message);
        Assert.Contains("calibration batches", Assert.Throws<ArgumentException>(() => new CalibrationOptions { Batches = 0 }.Validate()).Message);
        var model = XaiCompressionFixtures.Mlp(1);
        using (no_grad()) model.named_parameters().First().parameter.fill_(float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => RelevanceCalibration.Scores(model, null, new CalibrationOptions { Method = "magnitude" })).Message);
        Assert.Contains("needs calibration data", Assert.Throws<ArgumentException>(() => RelevanceCalibration.Scores(XaiCompressionFixtures.Mlp(2), null, new CalibrationOptions())).Message);
    }
}
