namespace ECQx.Coding;

/// <summary>Size facts of one tensor of an .ecqx file.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Shape">Shape as text.</param>
/// <param name="Storage">How it is stored.</param>
/// <param name="Elements">Element count.</param>
/// <param name="BitWidth">Codebook bit width (levels only).</param>
/// <param name="Step">Grid step (levels only).</param>
/// <param name="Sparsity">Fraction of zero levels (levels only).</param>
/// <param name="EntropyBitsPerLevel">Zeroth-order entropy of the levels (levels only).</param>
/// <param name="StoredBytes">Bytes of the tensor's data section payload.</param>
/// <param name="Patches">Number of value patches (levels only).</param>
/// <param name="BrotliBytes">Brotli size of the packed levels, when measured.</param>
/// <param name="DeflateBytes">Deflate size of the packed levels, when measured.</param>
/// <param name="ZstdBytes">Zstandard size of the packed levels, when measured.</param>
public sealed record TensorSizeReport(
    string Name, string Shape, EcqxStorage Storage, long Elements,
    int? BitWidth, double? Step, double? Sparsity, double? EntropyBitsPerLevel,
    long StoredBytes, int Patches, long? BrotliBytes, long? DeflateBytes, long? ZstdBytes)
{
    /// <summary>The zeroth-order entropy bound of the levels in bytes, <c>n·H/8</c> (levels only).</summary>
    public double? EntropyBoundBytes => EntropyBitsPerLevel * Elements / 8;

    /// <summary>Stored bits per element.</summary>
    public double BitsPerElement => Elements == 0 ? 0 : StoredBytes * 8.0 / Elements;
}

/// <summary>
/// The size report of an .ecqx file (spec §d.4, with bytes counted consistently): FP32 size, file size and
/// the ×-factor, the levels' coded size against their zeroth-order entropy bound, and the same levels
/// compressed by Brotli, Deflate and Zstandard.
/// </summary>
public sealed class CompressionReport
{
    private CompressionReport(IReadOnlyList<TensorSizeReport> tensors, long fp32Bytes, long fileBytes)
    {
        Tensors = tensors;
        Fp32Bytes = fp32Bytes;
        FileBytes = fileBytes;
    }

    /// <summary>Per-tensor facts, in file order.</summary>
    public IReadOnlyList<TensorSizeReport> Tensors { get; }

    /// <summary>
    /// Size of the model as float32: 4 bytes × every element of every tensor with at least one dimension
    /// (the reference's "original" size, spec §d.4; scalars such as <c>num_batches_tracked</c> are not counted).
    /// </summary>
    public long Fp32Bytes { get; }

    /// <summary>Size of the .ecqx file, everything included.</summary>
    public long FileBytes { get; }

    /// <summary>The paper's ×-factor, FP32 bytes / file bytes.</summary>
    public double CompressionFactor => FileBytes == 0 ? 0 : (double)Fp32Bytes / FileBytes;

    /// <summary>Number of quantized elements.</summary>
    public long LevelElements => Levels.Sum(t => t.Elements);

    /// <summary>Bytes of all level sections.</summary>
    public long LevelBytes => Levels.Sum(t => t.StoredBytes);

    /// <summary>Sum of the per-tensor zeroth-order entropy bounds of the levels, in bytes.</summary>
    public double LevelEntropyBoundBytes => Levels.Sum(t => t.EntropyBoundBytes ?? 0);

    /// <summary>Fraction of zero levels over all quantized tensors.</summary>
    public double LevelSparsity => LevelElements == 0 ? 0 : Levels.Sum(t => (t.Sparsity ?? 0) * t.Elements) / LevelElements;

    /// <summary>Bytes of all raw/float16 tensor sections.</summary>
    public long RawBytes => Tensors.Where(t => t.Storage != EcqxStorage.Levels).Sum(t => t.StoredBytes);

    /// <summary>Header, model description, section framing and checksums.</summary>
    public long OverheadBytes => FileBytes - LevelBytes - RawBytes;

    /// <summary>Brotli total over the levels, when measured.</summary>
    public long? BrotliBytes => SumOrNull(t => t.BrotliBytes);

    /// <summary>Deflate total over the levels, when measured.</summary>
    public long? DeflateBytes => SumOrNull(t => t.DeflateBytes);

    /// <summary>Zstandard total over the levels, when measured.</summary>
    public long? ZstdBytes => SumOrNull(t => t.ZstdBytes);

    private IEnumerable<TensorSizeReport> Levels => Tensors.Where(t => t.Storage == EcqxStorage.Levels);

    private long? SumOrNull(Func<TensorSizeReport, long?> size)
    {
        long total = 0;
        foreach (var t in Levels)
        {
            long? s = size(t);
            if (s is null) return null;
            total += s.Value;
        }
        return total;
    }

    /// <summary>The report of a read file; <paramref name="baselines"/> also runs Brotli, Deflate and Zstandard on the levels.</summary>
    public static CompressionReport Create(EcqxFileContents contents, bool baselines = true)
    {
        ArgumentNullException.ThrowIfNull(contents);
        var rows = new TensorSizeReport[contents.Model.Tensors.Count];
        Parallel.For(0, rows.Length, i =>
        {
            var tensor = contents.Model.Tensors[i];
            var storage = contents.Storage[i];
            if (tensor is QuantizedTensor q)
            {
                var levels = q.Levels.Span;
                long? brotli = null, deflate = null, zstd = null;
                if (baselines)
                {
                    byte[] packed = BaselineCompressors.Pack(levels);
                    brotli = BaselineCompressors.Brotli(packed);
                    deflate = BaselineCompressors.Deflate(packed);
                    zstd = BaselineCompressors.Zstandard(packed);
                }
                rows[i] = new TensorSizeReport(q.Name, q.ShapeText, storage.Storage, q.ElementCount, q.BitWidth, q.Step,
                    LevelStatistics.Sparsity(levels), LevelStatistics.Entropy(levels), storage.PayloadBytes, q.Patches.Count,
                    brotli, deflate, zstd);
            }
            else
            {
                rows[i] = new TensorSizeReport(tensor.Name, tensor.ShapeText, storage.Storage, tensor.ElementCount,
                    null, null, null, null, storage.PayloadBytes, 0, null, null, null);
            }
        });
        long fp32 = contents.Model.Tensors.Where(t => t.Shape.Count >= 1).Sum(t => 4L * t.ElementCount);
        return new CompressionReport(rows, fp32, contents.FileBytes);
    }

    /// <summary>The report of the file <paramref name="model"/> would be written as.</summary>
    public static CompressionReport Measure(EcqxModel model, EcqxWriteOptions? options = null, bool baselines = true) =>
        Create(EcqxModelFile.Parse(EcqxModelFile.Serialize(model, options), "(in memory)"), baselines);
}
