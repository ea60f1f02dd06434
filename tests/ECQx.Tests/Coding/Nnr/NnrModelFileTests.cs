using System.Buffers.Binary;
using ECQx.Coding;
using ECQx.Coding.Nnr;
using Xunit;

namespace ECQx.Tests.Coding.Nnr;

/// <summary>Writing and reading NNR bitstreams of ecqx models, without NNCodec: exact bytes of the fixed units, round trips, errors.</summary>
public class NnrModelFileTests
{
    private static readonly byte[] StartUnit = [0x00, 0x04, 0x02, 0x00];

    // size 8; type 1 | independent; topology carried, no maps, NNR_QSU, no index references, 7 reserved zeros
    // (1 0000 001 0 0000000); qp density 2 (010), qp 0 (13 zeros); alignment 1 + zeros.
    private static readonly byte[] ModelParameterSet = [0x00, 0x08, 0x06, 0x81, 0x00, 0x40, 0x00, 0x80];

    [Fact]
    public void StartsWithTheStartUnitAndTheModelParameterSetBitForBit()
    {
        byte[] bytes = NnrModelFile.Serialize(new EcqxModel([]));
        Assert.Equal([.. StartUnit, .. ModelParameterSet], bytes[..12]);
        Assert.Equal(0x0E, bytes[14]); // NNR_TPL | independently decodable
        Assert.True(NnrModelFile.LooksLikeNnr(bytes));
        Assert.Empty(NnrModelFile.Parse(bytes, "empty").Model.Tensors);
    }

    [Fact]
    public void WritesTheDataUnitHeaderBitForBit()
    {
        var model = new EcqxModel([new QuantizedTensor("w", [2], [0, 0], 1.0, 1, 0)]);
        byte[] bytes = NnrModelFile.Serialize(model);
        var contents = NnrModelFile.Parse(bytes, "w.nnr");
        int unitBytes = (int)contents.Tensors[0].UnitBytes;
        byte[] unit = bytes[^unitBytes..];
        Assert.Equal(unitBytes, BinaryPrimitives.ReadUInt16BigEndian(unit));
        // type 5 | independent; NNR_PT_INT (00000), one element, no format, input parameters; "w\0";
        // dq 0, dims and unary length in band, cpt 0000, count ue(1) = "11", dim 2 ue(7) = "1 0000010",
        // unary length 10 (00001010), alignment "1" + zeros: 01100001 11000001 00000101 01000000.
        Assert.Equal([0x16, 0x01, (byte)'w', 0x00, 0x61, 0xC1, 0x05, 0x40], unit[2..10]);
        Assert.Equal(unitBytes - 10, contents.Tensors[0].PayloadBytes);
    }

    [Fact]
    public void RoundTripsAModelOfEveryKindOfTensor()
    {
        var model = EcqxFileSamples.SmallModel();
        var extra = new List<EcqxTensor>(model.Tensors)
        {
            new RawTensor("mask", EcqxDType.Bool, [5], [1, 0, 0, 1, 1]),
            new RawTensor("small", EcqxDType.Int8, [2], [0x80, 0x7F]),
            new RawTensor("b16", EcqxDType.BFloat16, [2], [0x80, 0x3F, 0x00, 0xC0]),
            new RawTensor("f64", EcqxDType.Float64, [1], BitConverter.GetBytes(0.375)),
            new RawTensor("i32", EcqxDType.Int32, [2, 2], [.. BitConverter.GetBytes(-7), .. BitConverter.GetBytes(1 << 20), .. new byte[8]]),
        };
        var full = new EcqxModel(extra, model.Metadata);
        string path = Path.Combine(TestPaths.NewTempDir(), "m.nnr");
        NnrModelFile.Write(path, full);
        var contents = NnrModelFile.ReadDetailed(path);
        Assert.True(contents.HasEcqxNote);
        Assert.Equal(new FileInfo(path).Length, contents.FileBytes);
        EcqxFileSamples.AssertSameModel(full, contents.Model);
        EcqxFileSamples.AssertSameModel(full, CodedModelFiles.Read(path));
        Assert.Equal(CodedModelFormat.Nnr, CodedModelFiles.Detect(path));
        Assert.All(contents.Tensors, t => Assert.Equal(NnrPayloadType.Int, t.PayloadType));
    }

    [Fact]
    public void WithoutTheNoteEveryUnitReadsAsTheInt32ArrayNnCodecReturns()
    {
        var model = new EcqxModel(
        [
            new QuantizedTensor("q", [3], [-1, 0, 1], 0.5, 2, -2),
            new RawTensor("f", EcqxDType.Float32, [3], [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f), .. BitConverter.GetBytes(-0f)]),
        ]);
        byte[] stripped = StripTopologyUnits(NnrModelFile.Serialize(model));
        var contents = NnrModelFile.Parse(stripped, "foreign");
        Assert.False(contents.HasEcqxNote);
        var q = Assert.IsType<RawTensor>(contents.Model["q"]);
        Assert.Equal(EcqxDType.Int32, q.DType);
        byte[] data = q.Data.ToArray();
        Assert.Equal([-1, 0, 1], Enumerable.Range(0, 3).Select(i => BitConverter.ToInt32(data, 4 * i)));
        // Floats travel as their bit patterns; −0.0 as +0.0 (the note, stripped here, restores the sign).
        var f = Assert.IsType<RawTensor>(contents.Model["f"]);
        Assert.Equal(EcqxDType.Int32, f.DType);
        Assert.Equal([.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f), .. new byte[4]], f.Data.ToArray());
    }

    [Fact]
    public void RefusesTensorsNnrCannotCarryLosslessly()
    {
        var f64 = new EcqxModel([new RawTensor("x.f64", EcqxDType.Float64, [1], BitConverter.GetBytes(0.1))]);
        Assert.Contains("x.f64", Assert.Throws<ArgumentException>(() => NnrModelFile.Serialize(f64)).Message);
        var huge = new EcqxModel([new RawTensor("x.i64", EcqxDType.Int64, [1], BitConverter.GetBytes(1L << 40))]);
        Assert.Contains("x.i64", Assert.Throws<ArgumentException>(() => NnrModelFile.Serialize(huge)).Message);
        var nul = new EcqxModel([new RawTensor("a\0b", EcqxDType.Int32, [1], new byte[4])]);
        Assert.Contains("NUL", Assert.Throws<ArgumentException>(() => NnrModelFile.Serialize(nul)).Message);
    }

    [Fact]
    public void ReadsABitstreamNnCodecWrote()
    {
        // nnc.compress({...}, use_dq=False) of these int32 tensors, by the vendored NNCodec (nncodec_driver.py encode).
        var expected = new (string Name, long[] Shape, int[] Values)[]
        {
            ("a.weight", [16, 8], Enumerable.Range(0, 128).Select(i => i * 7 % 9 - 4).ToArray()),
            ("b.weight", [64], Enumerable.Range(0, 64).Select(i => i % 5 == 0 ? i % 3 - 1 : 0).ToArray()),
            ("c", [1], [12345]),
            ("d.weight", [5, 3], new int[15]),
        };
        var contents = NnrModelFile.ReadDetailed(Path.Combine(AppContext.BaseDirectory, "assets", "nnr", "nncodec-small.nnr"));
        Assert.False(contents.HasEcqxNote);
        Assert.Equal(expected.Select(e => e.Name), contents.Model.Tensors.Select(t => t.Name));
        foreach (var (name, shape, values) in expected)
        {
            var t = Assert.IsType<RawTensor>(contents.Model[name]);
            Assert.Equal(EcqxDType.Int32, t.DType);
            Assert.Equal(shape, t.Shape);
            byte[] data = t.Data.ToArray();
            Assert.Equal(values, Enumerable.Range(0, values.Length).Select(i => BitConverter.ToInt32(data, 4 * i)));
        }
        Assert.Equal(166, contents.FileBytes);

        // Sizes side by side: .ecqx codes NNCodec's int32 levels as levels (step 1), not as raw bytes.
        var asLevels = CodedSizeComparison.LevelsAsQuantized(contents.Model);
        var q = Assert.IsType<QuantizedTensor>(asLevels["a.weight"]);
        Assert.Equal((-4, 4), (q.MinLevel, q.BitWidth)); // levels −4..4: nine values need 4 bits
        Assert.Equal(expected[0].Values, q.Levels.ToArray());
        var sizes = CodedSizeComparison.Measure(asLevels, nnrBytes: contents.FileBytes);
        Assert.Equal(4L * (128 + 64 + 1 + 15), sizes.Fp32Bytes);
        Assert.Equal(EcqxModelFile.Serialize(asLevels).Length, sizes.EcqxBytes);
    }

    /// <summary>The bitstream without its topology units (as NNCodec writes it for a model without an ecqx note).</summary>
    internal static byte[] StripTopologyUnits(byte[] bytes)
    {
        var kept = new List<byte>();
        for (int at = 0; at < bytes.Length;)
        {
            bool longSize = (bytes[at] & 0x80) != 0;
            int size = longSize ? (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at)) & 0x7FFFFFFF) : BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at));
            int type = bytes[at + (longSize ? 4 : 2)] >> 2;
            if (type != (int)NnrUnitType.Topology) kept.AddRange(bytes.AsSpan(at, size).ToArray());
            at += size;
        }
        return [.. kept];
    }
}
