using System.Buffers.Binary;

namespace ECQx.Coding.Nnr;

/// <summary>
/// Splits an NNR bitstream into units and decodes them: the start unit, parameter sets (quantization parameters),
/// topology units (the ecqx note) and compressed data units with payload types <c>NNR_PT_INT</c>, <c>NNR_PT_FLOAT</c>
/// (without dependent quantization or codebook) and <c>NNR_PT_RAW_FLOAT</c>, one tensor per unit, in-band dimensions,
/// scan order 0 — what NNCodec's <c>compress</c> writes for integer tensors with <c>use_dq=False</c>. Everything else
/// is refused with an <see cref="InvalidDataException"/> naming the unit and field, as is every malformed field.
/// Memory is bounded by the bitstream's size: a unit's element count may not exceed what its payload can code.
/// </summary>
internal sealed class NnrUnitParser
{
    /// <summary>Most levels a CABAC payload byte can code (a bin costs at least ~0.01 bits), with a margin.</summary>
    internal const int MaxLevelsPerPayloadByte = 1024;

    private readonly byte[] _data;
    private readonly string _source;
    private bool _seenParameterSet;
    private (int Density, int Parameter)? _modelQuantization;
    private (int Density, int Parameter)? _layerQuantization;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private NnrUnitParser(byte[] data, string source)
    {
        _data = data;
        _source = source;
    }

    /// <summary>The data units, the ecqx note's text (if any) and the byte ranges of the data units.</summary>
    internal static (List<NnrDataUnit> Units, string? Note, int NoteUnit) Parse(byte[] data, string source, CancellationToken cancellationToken = default)
    {
        var parser = new NnrUnitParser(data, source);
        var units = new List<NnrDataUnit>();
        string? note = null;
        int noteUnit = -1;
        int position = 0;
        for (int index = 0; position < data.Length; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int size = parser.UnitSize(position, index);
            var reader = new NnrBitReader(data, position, position + size, $"{source}: NNR unit {index} at byte {position}");
            reader.ReadBits((data[position] & 0x80) == 0 ? 16 : 32, "nnr_unit_size");
            var type = (NnrUnitType)reader.ReadBits(6, "nnr_unit_type");
            reader.Where += $" ({NnrNames.Of(type)})";
            reader.ReadBits(1, "independently_decodable_flag");
            if (reader.ReadFlag("partial_data_counter_present_flag")) reader.ReadBits(8, "partial_data_counter");
            if (index == 0 && type != NnrUnitType.Start)
                throw reader.Fail("nnr_unit_type", $"the first unit must be NNR_STR (0), found {(int)type}: this is not an NNR bitstream");
            switch (type)
            {
                case NnrUnitType.Start when index == 0:
                    reader.ReadBits(8, "general_profile_idc");
                    break;
                case NnrUnitType.Start:
                    throw reader.Fail("nnr_unit_type", "a second NNR_STR unit (a bitstream has one, first)");
                case NnrUnitType.ModelParameterSet:
                    parser.ModelParameterSet(reader, units.Count);
                    break;
                case NnrUnitType.LayerParameterSet:
                    parser.LayerParameterSet(reader);
                    break;
                case NnrUnitType.Topology:
                    if (Topology(reader) is { } text)
                    {
                        if (note is not null) throw reader.Fail("topology_data", "a second ecqx note (a bitstream carries one)");
                        note = text;
                        noteUnit = index;
                    }
                    break;
                case NnrUnitType.CompressedData:
                    units.Add(parser.DataUnit(reader, position, size));
                    break;
                case NnrUnitType.Quantization or NnrUnitType.Aggregate:
                    throw reader.Fail("nnr_unit_type", $"{NnrNames.Of(type)} units are not supported");
                default:
                    throw reader.Fail("nnr_unit_type", $"unknown unit type {(int)type}");
            }
            position += size;
        }
        if (data.Length == 0) throw new InvalidDataException($"{source}: the bitstream is empty (an NNR bitstream starts with an NNR_STR unit)");
        return (units, note, noteUnit);
    }

    private int UnitSize(int position, int index)
    {
        string where = $"{_source}: NNR unit {index} at byte {position}, field nnr_unit_size";
        if (_data.Length - position < 2) throw new InvalidDataException($"{where}: only {_data.Length - position} byte(s) left, the field needs 2");
        bool longSize = (_data[position] & 0x80) != 0;
        long size;
        if (longSize)
        {
            if (_data.Length - position < 4) throw new InvalidDataException($"{where}: only {_data.Length - position} byte(s) left, the 31-bit field needs 4");
            size = BinaryPrimitives.ReadUInt32BigEndian(_data.AsSpan(position)) & 0x7FFFFFFF;
        }
        else
        {
            size = BinaryPrimitives.ReadUInt16BigEndian(_data.AsSpan(position)) & 0x7FFF;
        }
        int minimum = (longSize ? 4 : 2) + 1;
        if (size < minimum) throw new InvalidDataException($"{where}: {size} bytes is less than the smallest unit ({minimum} bytes)");
        if (size > _data.Length - position)
            throw new InvalidDataException($"{where}: the unit claims {size} bytes but only {_data.Length - position} remain (truncated bitstream?)");
        return (int)size;
    }

    private void ModelParameterSet(NnrBitReader reader, int dataUnitsSoFar)
    {
        if (_seenParameterSet) throw reader.Fail("nnr_unit_type", "a second NNR_MPS unit (a bitstream has one)");
        if (dataUnitsSoFar > 0) throw reader.Fail("nnr_unit_type", "the NNR_MPS unit must precede every NNR_NDU unit");
        _seenParameterSet = true;
        reader.ReadBits(1, "topology_carriage_flag");
        reader.ReadBits(4, "mps performance map flags");
        ulong methods = reader.ReadBits(3, "mps_quantization_method_flags");
        if (reader.ReadFlag("mps_topology_indexed_reference_flag"))
            throw reader.Fail("mps_topology_indexed_reference_flag", "topology elements referenced by index are not supported");
        reader.ReadBits(7, "nnr_reserved_zero_7bits");
        if ((methods & 3) != 0)
            _modelQuantization = ((int)reader.ReadBits(3, "mps_qp_density"), (int)reader.ReadSigned(13, "mps_quantization_parameter"));
        // Performance maps, if any, are informative: the unit size says where the unit ends.
    }

    private void LayerParameterSet(NnrBitReader reader)
    {
        reader.ReadBits(1, "lps_self_contained_flag");
        reader.ReadBits(7, "nnr_reserved_zero_7bits");
        reader.ReadBits(1, "nnr_reserved_zero_1_bits");
        reader.ReadBits(3, "lps performance map flags");
        ulong methods = reader.ReadBits(3, "lps_quantization_method_flags");
        reader.ReadBits(1, "nnr_reserved_zero_1bit");
        _layerQuantization = (methods & 3) != 0
            ? ((int)reader.ReadBits(3, "lps_qp_density"), (int)reader.ReadSigned(13, "lps_quantization_parameter"))
            : null;
    }

    private static string? Topology(NnrBitReader reader)
    {
        ulong format = reader.ReadBits(8, "topology_storage_format");
        reader.ReadBits(8, "topology_compression_format");
        if (format is 5 or 6) throw reader.Fail("topology_storage_format", $"format {format} (pruning topology / reference list) is not supported");
        string text = reader.ReadString("topology_data");
        if (!NnrEcqxNote.IsNote(text)) return null;
        if (format != 0) throw reader.Fail("topology_storage_format", $"an ecqx note in a topology unit of storage format {format}; ecqx writes it with NNR_TPL_UNREC (0)");
        return text;
    }

    private NnrDataUnit DataUnit(NnrBitReader reader, int offset, int size)
    {
        if (!_seenParameterSet) throw reader.Fail("nnr_unit_type", "an NNR_NDU unit before the NNR_MPS unit");
        ulong rawType = reader.ReadBits(5, "nnr_compressed_data_unit_payload_type");
        if (rawType > 3) throw reader.Fail("nnr_compressed_data_unit_payload_type", $"unknown payload type {rawType}");
        var type = (NnrPayloadType)rawType;
        if (reader.ReadFlag("nnr_multiple_topology_elements_present_flag"))
            throw reader.Fail("nnr_multiple_topology_elements_present_flag", $"units with several tensors ({NnrNames.Of(type)}) are not supported");
        if (type == NnrPayloadType.Block) throw reader.Fail("nnr_compressed_data_unit_payload_type", "NNR_PT_BLOCK needs several topology elements");
        bool formatPresent = reader.ReadFlag("nnr_decompressed_data_format_present_flag");
        bool inputParameters = reader.ReadFlag("input_parameters_present_flag");
        string name = reader.ReadString("topology_elem_id");
        reader.Where += $" '{name}'";
        if (name.Length == 0) throw reader.Fail("topology_elem_id", "the tensor name is empty");
        if (!_names.Add(name)) throw reader.Fail("topology_elem_id", "a second unit with this tensor name (split tensors are not supported)");
        if (type == NnrPayloadType.Float && reader.ReadFlag("codebook_present_flag"))
            throw reader.Fail("codebook_present_flag", "codebook quantization is not supported");
        if (type is NnrPayloadType.Int or NnrPayloadType.Float && reader.ReadFlag("dq_flag"))
            throw reader.Fail("dq_flag", "dependent (trellis-coded) quantization is not supported; write with use_dq=False");
        if (formatPresent) reader.ReadBits(7, "nnr_decompressed_data_format");
        if (!inputParameters) throw reader.Fail("input_parameters_present_flag", "out-of-band dimensions and coder parameters are not supported");
        bool dimensionsPresent = reader.ReadFlag("tensor_dimensions_flag");
        bool unaryLengthPresent = reader.ReadFlag("cabac_unary_length_flag");
        ulong parameterTypes = reader.ReadBits(4, "compressed_parameter_types");
        if (parameterTypes != 0) throw reader.Fail("compressed_parameter_types", $"value {parameterTypes} (decomposition, local scaling, batch norm or bias blocks) is not supported");
        if (!dimensionsPresent) throw reader.Fail("tensor_dimensions_flag", "out-of-band tensor dimensions are not supported");
        long[] dims = Dimensions(reader);
        int unaryLengthMinus1 = unaryLengthPresent ? (int)reader.ReadBits(8, "cabac_unary_length_minus1") : -1;
        if (dims.Length > 1 && reader.ReadBits(4, "scan_order") is var scan and not 0)
            throw reader.Fail("scan_order", $"block scan order {scan} (with entry points) is not supported");
        reader.ByteAlign("byte_alignment");
        int payloadStart = reader.BytePosition;
        int payloadBytes = offset + size - payloadStart;
        if (payloadBytes < 0) throw reader.Fail("nnr_unit_size", $"the header takes {payloadStart - offset} bytes, more than the unit's {size}");
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (type == NnrPayloadType.RawFloat)
        {
            if (payloadBytes != 4 * count)
                throw reader.Fail("raw_float32_parameter", $"{count} float32 values need {4 * count} bytes, the unit has {payloadBytes}");
            var floats = new float[count];
            for (int i = 0; i < floats.Length; i++) floats[i] = BinaryPrimitives.ReadSingleLittleEndian(_data.AsSpan(payloadStart + 4 * i));
            return new NnrDataUnit(name, type, dims, offset, size, payloadBytes, null, floats, null);
        }
        if (unaryLengthMinus1 < 0) throw reader.Fail("cabac_unary_length_flag", "an out-of-band cabac_unary_length_minus1 is not supported");
        if (count > (long)MaxLevelsPerPayloadByte * (payloadBytes + 2))
            throw reader.Fail("tensor_dimensions", $"{count} elements cannot be coded in a {payloadBytes}-byte payload");
        return EntropyCoded(reader, name, type, dims, (int)count, offset, size, payloadStart, payloadBytes, unaryLengthMinus1);
    }

    private NnrDataUnit EntropyCoded(NnrBitReader reader, string name, NnrPayloadType type, long[] dims, int count, int offset, int size,
        int payloadStart, int payloadBytes, int unaryLengthMinus1)
    {
        if (payloadBytes < 2) throw reader.Fail("payload", $"an entropy-coded payload needs at least 2 bytes, the unit has {payloadBytes}");
        var decoder = new NnrArithmeticDecoder(_data, payloadStart, payloadStart + payloadBytes);
        double? step = null;
        if (type == NnrPayloadType.Float)
        {
            var q = _layerQuantization ?? _modelQuantization
                ?? throw reader.Fail("mps_quantization_method_flags", "an NNR_PT_FLOAT unit needs a quantization parameter, but no parameter set carries one");
            int bits = 6 + q.Density;
            uint pattern = decoder.DecodeBypass(bits);
            int qp = ((int)(pattern << (32 - bits)) >> (32 - bits)) + q.Parameter;
            step = StepSize(qp, q.Density);
        }
        var levels = new int[count];
        try { NnrLevelDecoder.Decode(decoder, levels, unaryLengthMinus1); }
        catch (InvalidDataException e) { throw reader.Fail("payload", e.Message); }
        if (!decoder.DecodeTerminate()) throw reader.Fail("payload", "the entropy-coded stream has no terminating bin after the last level");
        if (decoder.BytesRead != payloadBytes)
            throw reader.Fail("payload", $"the entropy-coded stream ends after {decoder.BytesRead} bytes, the unit's payload has {payloadBytes}");
        if (!decoder.HasStopPattern()) throw reader.Fail("payload", "the entropy-coded stream does not end with the stop pattern");
        return new NnrDataUnit(name, type, dims, offset, size, payloadBytes, levels, null, step);
    }

    private static long[] Dimensions(NnrBitReader reader)
    {
        ulong rank = reader.ReadExpGolomb(1, "count_tensor_dimensions");
        if (rank > EcqxTensor.MaxRank) throw reader.Fail("count_tensor_dimensions", $"{rank} dimensions; at most {EcqxTensor.MaxRank} are supported");
        var dims = new long[rank];
        long count = 1;
        for (int j = 0; j < dims.Length; j++)
        {
            ulong d = reader.ReadExpGolomb(7, $"tensor_dimensions[{j}]");
            if (d > (ulong)Array.MaxLength) throw reader.Fail($"tensor_dimensions[{j}]", $"dimension {d} exceeds {Array.MaxLength}");
            dims[j] = (long)d;
            count = d == 0 ? 0 : count > Array.MaxLength / (long)d ? throw reader.Fail($"tensor_dimensions[{j}]", $"the tensor has more than {Array.MaxLength} elements") : count * (long)d;
        }
        return dims;
    }

    /// <summary>NNR's step size of quantization parameter <paramref name="qp"/> at density <paramref name="density"/>: <c>(k + qp mod k) · 2^(⌊qp/k⌋ − density)</c>, k = 2^density.</summary>
    internal static double StepSize(int qp, int density)
    {
        int k = 1 << density;
        return (k + (qp & (k - 1))) * Math.Pow(2.0, (qp >> density) - density);
    }
}
