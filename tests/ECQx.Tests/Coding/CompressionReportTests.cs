using ECQx.Coding;
using Xunit;

namespace ECQx.Tests.Coding;

public class CompressionReportTests
{
    [Fact]
    public void HandComputedSmallModel()
    {
        var model = new EcqxModel(
        [
            new QuantizedTensor("w", [2, 2], [0, 0, 1, 1], 0.5, 2, -2),
            new RawTensor("b", EcqxDType.Float32, [3], new byte[12]),
            new RawTensor("n", EcqxDType.Int64, [], new byte[8]),
        ]);
        byte[] file = EcqxModelFile.Serialize(model);
        var report = CompressionReport.Create(EcqxModelFile.Parse(file, "mem"));

        Assert.Equal(4 * (4 + 3), report.Fp32Bytes); // the scalar is not counted (spec §d.4)
        Assert.Equal(file.Length, report.FileBytes);
        Assert.Equal((double)report.Fp32Bytes / file.Length, report.CompressionFactor, 12);
        Assert.Equal(4, report.LevelElements);
        Assert.Equal(0.5, report.LevelSparsity, 12);
        Assert.Equal(0.5, report.LevelEntropyBoundBytes, 12); // H = 1 bit × 4 levels
        Assert.Equal(12 + 8, report.RawBytes);
        Assert.Equal(file.Length, report.LevelBytes + report.RawBytes + report.OverheadBytes);

        var w = report.Tensors[0];
        Assert.Equal(("w", "[2, 2]", EcqxStorage.Levels, 2), (w.Name, w.Shape, w.Storage, w.BitWidth!.Value));
        Assert.Equal(1.0, w.EntropyBitsPerLevel!.Value, 12);
        Assert.Equal(w.StoredBytes * 8.0 / 4, w.BitsPerElement, 12);
        Assert.Equal(4, BaselineCompressors.Pack([0, 0, 1, 1]).Length);
        Assert.True(w.BrotliBytes > 0 && w.DeflateBytes > 0 && w.ZstdBytes > 0);
        Assert.Null(report.Tensors[1].EntropyBitsPerLevel);
        Assert.Equal(12, report.Tensors[1].StoredBytes);
    }

    [Fact]
    public void BaselinesCanBeSkipped()
    {
        var model = new EcqxModel([new QuantizedTensor("w", [4], [0, 1, -1, 0], 0.5, 2, -2)]);
        var report = CompressionReport.Measure(model, baselines: false);
        Assert.Null(report.BrotliBytes);
        Assert.Null(report.ZstdBytes);
        Assert.Null(report.DeflateBytes);
    }

    [Fact]
    public void PackUsesTheNarrowestSignedType()
    {
        Assert.Equal(new byte[] { 0x80, 0x7F }, BaselineCompressors.Pack([-128, 127]));
        Assert.Equal(new byte[] { 0x80, 0x00, 0xFF, 0x00 }, BaselineCompressors.Pack([128, 255]));
        Assert.Equal(12, BaselineCompressors.Pack([40_000, 0, -1]).Length);
    }
}
