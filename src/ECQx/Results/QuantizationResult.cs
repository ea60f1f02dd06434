namespace ECQx.Results;

/// <summary>
/// One quantized model's outcome, the unit of the paper's result plots (spec §e): which method, at which
/// bit width, how accurate, how sparse, and optionally how much smaller than the FP model.
/// </summary>
/// <param name="Method">Method label, for example <c>ECQ</c> or <c>ECQx</c>.</param>
/// <param name="BitWidth">Codebook bit width (2–8 in the experiments).</param>
/// <param name="AccuracyPercent">Top-1 test accuracy in percent, 0–100.</param>
/// <param name="SparsityPercent">Share of zero weights in the quantized layers, in percent, 0–100.</param>
/// <param name="CompressionFactor">FP model size divided by the coded size (the paper's ×-factor), if measured.</param>
/// <param name="Lambda">The entropy-constraint strength Λ of the run, if relevant (shown in hover text).</param>
public sealed record QuantizationResult(
    string Method,
    int BitWidth,
    double AccuracyPercent,
    double SparsityPercent,
    double? CompressionFactor = null,
    double? Lambda = null);
