namespace ECQx.Coding.Nnr;

/// <summary>
/// The coded size of one model in both formats, side by side: the <c>.ecqx</c> file and the NNR bitstream, with the
/// FP32 size they are compared against (4 bytes per element of every tensor of rank ≥ 1, as in <see cref="CompressionReport"/>).
/// </summary>
/// <param name="Fp32Bytes">The model's size as float32.</param>
/// <param name="EcqxBytes">Bytes of its .ecqx file.</param>
/// <param name="NnrBytes">Bytes of its NNR bitstream.</param>
/// <param name="NnCodec">NNCodec's own sizes of the same levels and float tensors (the reference's accounting), when measured.</param>
public sealed record CodedSizeComparison(long Fp32Bytes, long EcqxBytes, long NnrBytes, NnCodecSizes? NnCodec = null)
{
    /// <summary>FP32 bytes over NNCodec's model size (the paper's ×-factor), when measured.</summary>
    public double? NnCodecFactor => NnCodec is { PaperBytes: > 0 } n ? (double)Fp32Bytes / n.PaperBytes : null;

    /// <summary>FP32 bytes over .ecqx bytes.</summary>
    public double EcqxFactor => EcqxBytes == 0 ? 0 : (double)Fp32Bytes / EcqxBytes;

    /// <summary>FP32 bytes over NNR bytes.</summary>
    public double NnrFactor => NnrBytes == 0 ? 0 : (double)Fp32Bytes / NnrBytes;

    /// <summary>
    /// Measures <paramref name="model"/>: a size already known (the file it was read from) is taken as given, the other
    /// is that of the file the model would be written as. With <paramref name="nncodec"/>, NNCodec codes the model too.
    /// </summary>
    public static CodedSizeComparison Measure(EcqxModel model, long? ecqxBytes = null, long? nnrBytes = null,
        EcqxWriteOptions? ecqxOptions = null, NnrWriteOptions? nnrOptions = null, NnCodecInstallation? nncodec = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        long fp32 = model.Tensors.Where(t => t.Shape.Count >= 1).Sum(t => 4L * t.ElementCount);
        long ecqx = ecqxBytes ?? EcqxModelFile.Serialize(model, ecqxOptions).LongLength;
        long nnr = nnrBytes ?? NnrModelFile.Serialize(model, nnrOptions).LongLength;
        return new CodedSizeComparison(fp32, ecqx, nnr, nncodec?.Measure(model));
    }

    /// <summary>
    /// <paramref name="model"/> with its int32 tensors of rank ≥ 1 as quantized tensors of step 1: what an NNR bitstream
    /// without the ecqx note (NNCodec's levels) holds, so that its .ecqx size codes them as levels, not raw bytes.
    /// </summary>
    public static EcqxModel LevelsAsQuantized(EcqxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new EcqxModel(model.Tensors.Select(t => t is RawTensor { DType: EcqxDType.Int32 } r && r.Shape.Count >= 1 && r.ElementCount > 0
            ? AsLevels(r) : t).ToList(), model.Metadata);
    }

    private static EcqxTensor AsLevels(RawTensor tensor)
    {
        var levels = new int[tensor.ElementCount];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(tensor.Data.Span).CopyTo(levels);
        long min = levels.Min(), max = levels.Max();
        int bits = 1;
        while (bits < 32 && max - min + 1 > 1L << bits) bits++;
        return new QuantizedTensor(tensor.Name, tensor.Shape, levels, 1.0, bits, (int)min);
    }
}
