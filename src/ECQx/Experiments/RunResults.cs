using ECQx.Results;
using ECQx.Training;

namespace ECQx.Experiments;

/// <summary>One quantized tensor in a coded model.</summary>
/// <param name="Layer">Tensor name.</param>
/// <param name="Elements">Number of weights.</param>
/// <param name="SparsityPercent">Zero levels in %.</param>
/// <param name="EntropyBits">Zeroth-order entropy of the levels (bits per weight).</param>
/// <param name="CodedBytes">Bytes of its level section in the .ecqx file.</param>
public sealed record LayerSummary(string Layer, long Elements, double SparsityPercent, double EntropyBits, long CodedBytes);

/// <summary>The full-precision starting point of one model (written to <c>baseline/&lt;model&gt;/result.json</c>).</summary>
/// <param name="Model">Model name.</param>
/// <param name="Source">Where the weights came from: pretrained file or "trained here, N epochs".</param>
/// <param name="AccuracyPercent">Test accuracy in %.</param>
/// <param name="Fp32Bytes">4 bytes × every element of every non-scalar state tensor (spec §d.4).</param>
/// <param name="Parameters">Number of parameters.</param>
/// <param name="WeightsFile">The FP weights (safetensors), relative to the run folder when inside it.</param>
/// <param name="WallSeconds">Time spent (training and evaluation).</param>
public sealed record BaselineResult(string Model, string Source, double AccuracyPercent, long Fp32Bytes, long Parameters, string WeightsFile, double WallSeconds);

/// <summary>One finished quantization run (written to <c>runs/&lt;run&gt;/result.json</c>, which marks it complete).</summary>
/// <param name="Run">Run name (folder and .ecqx file name).</param>
/// <param name="Model">Model name.</param>
/// <param name="Method"><c>ECQ</c> or <c>ECQx</c>.</param>
/// <param name="Relevance">ECQx relevance method, null for ECQ.</param>
/// <param name="Bits">Bit width.</param>
/// <param name="Lambda">Λ.</param>
/// <param name="EpochsRun">Quantization-aware epochs actually run (early stopping may end sooner).</param>
/// <param name="AccuracyPercent">Test accuracy of the model decoded from the .ecqx file, in %.</param>
/// <param name="TrainedAccuracyPercent">Test accuracy the trainer measured after its last epoch (equals the decoded accuracy: the coding is lossless).</param>
/// <param name="SparsityPercent">Zero weights over all quantized tensors, in %.</param>
/// <param name="CodedBytes">Size of the .ecqx file in bytes (everything included).</param>
/// <param name="Fp32Bytes">Size of the model as float32 (the ×-factor's numerator).</param>
/// <param name="CompressionFactor">FP32 bytes / coded bytes (the paper's ×-factor).</param>
/// <param name="EntropyBoundBytes">Σ n·H/8 over the quantized tensors: the zeroth-order entropy bound of the level payload.</param>
/// <param name="NnrBytes">Size of the same model as an NNR bitstream written by ecqx (<c>models/&lt;run&gt;.nnr</c>, lossless, readable by NNCodec).</param>
/// <param name="NnCodec">NNCodec's own sizes of the same levels and float tensors, coded as the reference implementation codes them;
/// null when the sweep ran without NNCodec (<see cref="ExperimentSettings.NnCodecDirectory"/>).</param>
/// <param name="EcqxFile">The .ecqx file, relative to the run folder.</param>
/// <param name="WallSeconds">Wall time of training, coding and evaluation.</param>
/// <param name="Layers">Per quantized tensor summary.</param>
public sealed record QuantizationRunResult(
    string Run, string Model, string Method, string? Relevance, int Bits, double Lambda, int EpochsRun,
    double AccuracyPercent, double TrainedAccuracyPercent, double SparsityPercent, long CodedBytes, long Fp32Bytes,
    double CompressionFactor, double EntropyBoundBytes, long NnrBytes, ECQx.Coding.Nnr.NnCodecSizes? NnCodec, string EcqxFile,
    double WallSeconds, IReadOnlyList<LayerSummary> Layers)
{
    /// <summary>FP32 bytes / NNR bytes (0 when unknown, e.g. a result written before NNR sizes were recorded).</summary>
    public double NnrCompressionFactor => NnrBytes > 0 ? (double)Fp32Bytes / NnrBytes : 0;

    /// <summary>FP32 bytes / NNCodec's model size (<see cref="ECQx.Coding.Nnr.NnCodecSizes.PaperBytes"/>): the ×-factor as the paper computes it; null without NNCodec.</summary>
    public double? NnCodecCompressionFactor => NnCodec is { PaperBytes: > 0 } n ? (double)Fp32Bytes / n.PaperBytes : null;
}

/// <summary>One row of the report's results table.</summary>
/// <param name="Model">Model.</param>
/// <param name="Method">FP32, ECQ or ECQx.</param>
/// <param name="Bits">Bit width (32 for the FP baseline).</param>
/// <param name="Lambda">Λ (empty for the baseline).</param>
/// <param name="Accuracy">Test accuracy in %.</param>
/// <param name="Sparsity">Zero weights of the quantized tensors in %.</param>
/// <param name="CodedBytes">.ecqx file size in bytes (FP32 size for the baseline).</param>
/// <param name="Factor">×-factor of the .ecqx file against FP32.</param>
/// <param name="NnrBytes">Bytes of the NNR bitstream ecqx writes (FP32 size for the baseline).</param>
/// <param name="NnrFactor">×-factor of the NNR bitstream.</param>
/// <param name="NnCodecBytes">NNCodec's model size as the reference computes it (null without NNCodec).</param>
/// <param name="NnCodecFactor">Its ×-factor, the paper's (null without NNCodec).</param>
/// <param name="File">The .ecqx file.</param>
public sealed record ResultsTableRow(string Model, string Method, int Bits, double? Lambda, double Accuracy, double Sparsity, long CodedBytes, double Factor,
    long NnrBytes, double NnrFactor, long? NnCodecBytes, double? NnCodecFactor, string File);

/// <summary>The outcome of <see cref="ExperimentRunner.Run"/>.</summary>
/// <param name="Directory">The run folder <c>&lt;out&gt;/&lt;experiment&gt;/&lt;run-id&gt;</c>.</param>
/// <param name="RunId">The run id.</param>
/// <param name="Config">The resolved configuration.</param>
/// <param name="Synthetic">Whether the data was a synthetic stand-in.</param>
/// <param name="Baselines">One per model.</param>
/// <param name="Results">Every quantization run, in sweep order.</param>
/// <param name="Skipped">Names of the runs that were already complete and were skipped.</param>
/// <param name="ReportPath">The report page.</param>
/// <param name="Histories">Per run name, the trainer's metrics rows.</param>
public sealed record ExperimentOutcome(
    string Directory, string RunId, ResolvedConfig Config, bool Synthetic, IReadOnlyList<BaselineResult> Baselines,
    IReadOnlyList<QuantizationRunResult> Results, IReadOnlyList<string> Skipped, string ReportPath,
    IReadOnlyDictionary<string, IReadOnlyList<EpochMetrics>> Histories)
{
    /// <summary>The results as figure records (method, bit width, accuracy, sparsity, ×-factor, Λ) for one model.</summary>
    public IReadOnlyList<QuantizationResult> FigureResults(string model) =>
        Results.Where(r => r.Model == model)
            .Select(r => new QuantizationResult(r.Method, r.Bits, r.AccuracyPercent, r.SparsityPercent, r.CompressionFactor, r.Lambda))
            .ToList();
}
