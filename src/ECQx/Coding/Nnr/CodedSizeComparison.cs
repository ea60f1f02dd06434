namespace ECQx.Coding.Nnr;

/// <summary>
/// The coded size of one model in both formats, side by side: the <c>.ecqx</c> file and the NNR bitstream, with the
/// FP32 size they are compared against (4 bytes per element of every tensor of rank ≥ 1, as in <see cref="CompressionReport"/>).
/// </summary>
/// <param name="Fp32Bytes">The model's size as float32.</param>
/// <param name="EcqxBytes">Bytes of its .ecqx file.</param>
/// <param name="NnrBytes">Bytes of its NNR bitstream.</param>
public sealed record CodedSizeComparison(long Fp32Bytes, long EcqxBytes, long NnrBytes)
{
    /// <summary>FP32 bytes over .ecqx bytes.</summary>
    public double EcqxFactor => EcqxBytes == 0 ? 0 : (double)Fp32Bytes / EcqxBytes;

    /// <summary>FP32 bytes over NNR bytes.</summary>
    public double NnrFactor => NnrBytes == 0 ? 0 : (double)Fp32Bytes / NnrBytes;

    /// <summary>
    /// Measures <paramref name="model"/>: a size already known (the file it was read from) is taken as given, the other
    /// is that of the file the model would be written as.
    /// </summary>
    public static CodedSizeComparison Measure(EcqxModel model, long? ecqxBytes = null, long? nnrBytes = null,
        EcqxWriteOptions? ecqxOptions = null, NnrWriteOptions? nnrOptions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        long fp32 = model.Tensors.Where(t => t.Shape.Count >= 1).Sum(t => 4L * t.ElementCount);
        long ecqx = ecqxBytes ?? EcqxModelFile.Serialize(model, ecqxOptions).LongLength;
        long nnr = nnrBytes ?? NnrModelFile.Serialize(model, nnrOptions).LongLength;
        return new CodedSizeComparison(fp32, ecqx, nnr);
    }
}
