using ECQx.Coding;
using ECQx.Coding.Nnr;
using ECQx.Tests.Fuzzing;
using Xunit;

namespace ECQx.Tests.Coding.Nnr;

/// <summary>Malformed NNR input: a clear error naming the unit and field, memory bounded by the input, seeded random damage.</summary>
public class NnrMalformedInputTests
{
    private static readonly byte[] Prefix = NnrModelFile.Serialize(new EcqxModel([]))[..12]; // start unit + model parameter set

    /// <summary>A compressed data unit with the given header choices and payload.</summary>
    private static byte[] DataUnit(string name, long[] dims, byte[] payload, int payloadType = 0, int dq = 0, int scanOrder = 0)
    {
        var w = new NnrBitWriter();
        NnrUnitFraming.WriteHeaderStart(w, NnrUnitType.CompressedData);
        w.WriteBits((ulong)payloadType, 5);
        w.WriteBits(0b001, 3);
        w.WriteString(name);
        if (payloadType is 0 or 1) w.WriteBit(dq);
        w.WriteBits(0b11_0000, 6);
        w.WriteExpGolomb((ulong)dims.Length, 1);
        foreach (long d in dims) w.WriteExpGolomb((ulong)d, 7);
        w.WriteBits(10, 8);
        if (dims.Length > 1) w.WriteBits((ulong)scanOrder, 4);
        w.ByteAlign();
        w.WriteBytes(payload);
        return NnrUnitFraming.Frame(w.ToArray());
    }

    private static InvalidDataException Fails(byte[] bitstream) =>
        Assert.Throws<InvalidDataException>(() => NnrModelFile.Parse(bitstream, "bad.nnr"));

    [Fact]
    public void NamesTheUnitAndFieldOfEachProblem()
    {
        Assert.Contains("NNR_STR", Fails([0x00, 0x04, 0x16, 0x00]).Message);
        Assert.Contains("nnr_unit_size", Fails([.. Prefix, 0x00]).Message);
        Assert.Contains("nnr_unit_size", Fails([.. Prefix, 0x00, 0x40, 0x16]).Message);
        var dq = Fails([.. Prefix, .. DataUnit("w", [4], [0x80, 0x00], dq: 1)]).Message;
        Assert.Contains("(NNR_NDU) 'w'", dq);
        Assert.Contains("dq_flag", dq);
        Assert.Contains("scan_order", Fails([.. Prefix, .. DataUnit("w", [4, 4], [0x80, 0x00], scanOrder: 1)]).Message);
        Assert.Contains("payload type 7", Fails([.. Prefix, .. DataUnit("w", [4], [0x80, 0x00], payloadType: 7)]).Message);
        Assert.Contains("raw_float32_parameter", Fails([.. Prefix, .. DataUnit("w", [4], new byte[12], payloadType: 2)]).Message);
        var twice = DataUnit("w", [1], new byte[4], payloadType: 2);
        Assert.Contains("second unit with this tensor name", Fails([.. Prefix, .. twice, .. twice]).Message);
        Assert.Contains("before the NNR_MPS", Fails([.. Prefix[..4], .. twice]).Message);
    }

    [Fact]
    public void AnElementCountThePayloadCannotCodeIsRefusedBeforeAllocating()
    {
        var e = Fails([.. Prefix, .. DataUnit("huge", [46_000, 46_000], [0x80, 0x00, 0x00])]);
        Assert.Contains("tensor_dimensions", e.Message);
        Assert.Contains("'huge'", e.Message);
    }

    [Fact]
    public void AnEntropyCodedPayloadMustEndExactlyAtTheUnitEnd()
    {
        byte[] good = NnrModelFile.Serialize(new EcqxModel([new QuantizedTensor("w", [3], [1, -2, 0], 1.0, 3, -4)]));
        byte[] noNote = NnrModelFileTests.StripTopologyUnits(good);
        NnrModelFile.Parse(noNote, "ok.nnr");
        // One more byte inside the last unit (its size field grows by one).
        int lastStart = noNote.Length - (int)NnrModelFile.Parse(noNote, "ok.nnr").Tensors[^1].UnitBytes;
        byte[] longer = [.. noNote, 0x00];
        longer[lastStart + 1]++; // the low byte of the last unit's 15-bit size
        Assert.Contains("payload", Fails(longer).Message);
    }

    [Fact]
    public void SeededDamageFailsCleanlyAndDamagedDataUnitsAreAlwaysDetected()
    {
        byte[] original = NnrModelFile.Serialize(EcqxFileSamples.SmallModel());
        var contents = NnrModelFile.Parse(original, "m.nnr");
        long firstDataUnit = original.Length - contents.Tensors.Sum(t => t.UnitBytes);
        var random = new Random(20261206);
        int failed = 0, decoded = 0;
        for (int trial = 0; trial < 800; trial++)
        {
            var kind = SeededCorruption.InTurn(trial);
            byte[] damaged = SeededCorruption.Apply(original, kind, random);
            int firstDifference = Enumerable.Range(0, Math.Min(original.Length, damaged.Length)).FirstOrDefault(i => original[i] != damaged[i], -1);
            bool onlyDataUnits = damaged.Length == original.Length && firstDifference >= firstDataUnit;
            try
            {
                NnrModelFile.Parse(damaged, "damaged.nnr");
                decoded++;
                Assert.False(onlyDataUnits, $"trial {trial} ({kind}): damage at byte {firstDifference} in the data units went unnoticed");
            }
            catch (InvalidDataException e)
            {
                failed++;
                Assert.StartsWith("damaged.nnr", e.Message);
            }
        }
        Assert.True(failed > 500, $"{failed} of 800 damaged bitstreams failed, {decoded} decoded");
    }
}
