namespace ECQx.Coding.Nnr;

/// <summary>NNR unit types (<c>nnr_unit_type</c>, 6 bits).</summary>
public enum NnrUnitType
{
    /// <summary>Start unit (<c>NNR_STR</c>), the first unit of a bitstream.</summary>
    Start = 0,
    /// <summary>Model parameter set (<c>NNR_MPS</c>).</summary>
    ModelParameterSet = 1,
    /// <summary>Layer parameter set (<c>NNR_LPS</c>).</summary>
    LayerParameterSet = 2,
    /// <summary>Topology unit (<c>NNR_TPL</c>).</summary>
    Topology = 3,
    /// <summary>Quantization unit (<c>NNR_QNT</c>).</summary>
    Quantization = 4,
    /// <summary>Compressed data unit (<c>NNR_NDU</c>): one tensor.</summary>
    CompressedData = 5,
    /// <summary>Aggregate unit (<c>NNR_AGG</c>).</summary>
    Aggregate = 6,
}

/// <summary>Payload type of a compressed data unit (<c>nnr_compressed_data_unit_payload_type</c>, 5 bits).</summary>
public enum NnrPayloadType
{
    /// <summary><c>NNR_PT_INT</c>: integer values, entropy-coded, reconstructed as int32 as they are.</summary>
    Int = 0,
    /// <summary><c>NNR_PT_FLOAT</c>: levels of a uniform quantizer, entropy-coded with the quantization parameter.</summary>
    Float = 1,
    /// <summary><c>NNR_PT_RAW_FLOAT</c>: float32 values stored uncompressed.</summary>
    RawFloat = 2,
    /// <summary><c>NNR_PT_BLOCK</c>: several tensors of one layer in one unit.</summary>
    Block = 3,
}

/// <summary>Names of NNR syntax values for messages.</summary>
internal static class NnrNames
{
    internal static string Of(NnrUnitType type) => type switch
    {
        NnrUnitType.Start => "NNR_STR",
        NnrUnitType.ModelParameterSet => "NNR_MPS",
        NnrUnitType.LayerParameterSet => "NNR_LPS",
        NnrUnitType.Topology => "NNR_TPL",
        NnrUnitType.Quantization => "NNR_QNT",
        NnrUnitType.CompressedData => "NNR_NDU",
        NnrUnitType.Aggregate => "NNR_AGG",
        _ => $"unit type {(int)type}",
    };

    internal static string Of(NnrPayloadType type) => type switch
    {
        NnrPayloadType.Int => "NNR_PT_INT",
        NnrPayloadType.Float => "NNR_PT_FLOAT",
        NnrPayloadType.RawFloat => "NNR_PT_RAW_FLOAT",
        NnrPayloadType.Block => "NNR_PT_BLOCK",
        _ => $"payload type {(int)type}",
    };
}

/// <summary>Unit framing: <c>nnr_unit_size()</c> and the common <c>nnr_unit_header()</c> fields.</summary>
internal static class NnrUnitFraming
{
    /// <summary>
    /// One whole unit: the size field (15 bits after a zero flag when the unit is shorter than 32,768 bytes, else 31 bits
    /// after a one flag; the size counts the whole unit), then <paramref name="body"/> (header from
    /// <c>nnr_unit_type</c> on, and payload).
    /// </summary>
    internal static byte[] Frame(ReadOnlySpan<byte> body)
    {
        long shortSize = body.Length + 2L;
        var writer = new NnrBitWriter();
        if (shortSize < 32768)
        {
            writer.WriteBit(0);
            writer.WriteBits((ulong)shortSize, 15);
        }
        else
        {
            long longSize = body.Length + 4L;
            if (longSize >= 1L << 31) throw new ArgumentException($"an NNR unit of {longSize} bytes exceeds the 31-bit nnr_unit_size");
            writer.WriteBit(1);
            writer.WriteBits((ulong)longSize, 31);
        }
        writer.WriteBytes(body);
        return writer.ToArray();
    }

    /// <summary>The first header byte: <c>nnr_unit_type</c>, <c>independently_decodable_flag</c> = 1, no partial data counter.</summary>
    internal static void WriteHeaderStart(NnrBitWriter writer, NnrUnitType type)
    {
        writer.WriteBits((ulong)type, 6);
        writer.WriteBit(1);
        writer.WriteBit(0);
    }
}
