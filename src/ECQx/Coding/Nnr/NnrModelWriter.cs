using ECQx.IO;

namespace ECQx.Coding.Nnr;

/// <summary>
/// Writes an <see cref="EcqxModel"/> as an NNR bitstream: start unit, model parameter set, a topology unit carrying the
/// ecqx note (<see cref="NnrEcqxNote"/>), then one compressed data unit per tensor in model order. Quantized tensors and
/// integer tensors become <c>NNR_PT_INT</c> units (levels entropy-coded, no dependent quantization, scan order 0);
/// float tensors become <c>NNR_PT_INT</c> units of their float32 bit patterns (bit-exact; NNCodec returns them as int32
/// arrays, <c>.view(np.float32)</c> gives the values).
/// </summary>
internal static class NnrModelWriter
{
    /// <summary><c>mps_qp_density</c> written (NNCodec's default; unused by integer and raw payloads).</summary>
    internal const int QpDensity = 2;

    internal static byte[] Write(EcqxModel model, NnrWriteOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var dataUnits = new List<byte[]>(model.Tensors.Count);
        var notes = new Dictionary<int, NnrTensorNote>();
        for (int i = 0; i < model.Tensors.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tensor = model.Tensors[i];
            var (unit, note) = DataUnit(tensor, options);
            dataUnits.Add(unit);
            if (note is not null) notes[i] = note;
        }
        uint crc = 0;
        foreach (var unit in dataUnits) crc = Crc32.Append(crc, unit);
        var ecqxNote = new NnrEcqxNote(crc, model.Metadata, notes);

        using var output = new MemoryStream();
        output.Write(StartUnit());
        output.Write(ModelParameterSet());
        output.Write(TopologyUnit(ecqxNote.ToText()));
        foreach (var unit in dataUnits) output.Write(unit);
        return output.ToArray();
    }

    private static byte[] StartUnit()
    {
        var w = new NnrBitWriter();
        NnrUnitFraming.WriteHeaderStart(w, NnrUnitType.Start);
        w.WriteBits(0, 8); // general_profile_idc
        return NnrUnitFraming.Frame(w.ToArray());
    }

    private static byte[] ModelParameterSet()
    {
        var w = new NnrBitWriter();
        NnrUnitFraming.WriteHeaderStart(w, NnrUnitType.ModelParameterSet);
        w.WriteBit(1);        // topology_carriage_flag
        w.WriteBits(0, 4);    // sparsification, pruning, unification, decomposition performance maps
        w.WriteBits(1, 3);    // mps_quantization_method_flags = NNR_QSU (NNCodec's decoder expects a qp density)
        w.WriteBit(0);        // mps_topology_indexed_reference_flag
        w.WriteBits(0, 7);    // nnr_reserved_zero_7bits
        w.WriteBits(QpDensity, 3);
        w.WriteSigned(0, 13); // mps_quantization_parameter
        w.ByteAlign();
        return NnrUnitFraming.Frame(w.ToArray());
    }

    private static byte[] TopologyUnit(string topologyData)
    {
        var w = new NnrBitWriter();
        NnrUnitFraming.WriteHeaderStart(w, NnrUnitType.Topology);
        w.WriteBits(0, 8); // topology_storage_format = NNR_TPL_UNREC
        w.WriteBits(0, 8); // topology_compression_format = NNR_PT_RAW
        w.WriteString(topologyData);
        return NnrUnitFraming.Frame(w.ToArray());
    }

    private static (byte[] Unit, NnrTensorNote? Note) DataUnit(EcqxTensor tensor, NnrWriteOptions options)
    {
        long[] dims = tensor.Shape.Count == 0 ? [1] : tensor.Shape.ToArray();
        long[]? shapeNote = tensor.Shape.Count == 0 ? [] : null;
        switch (tensor)
        {
            case QuantizedTensor q:
                return (IntUnit(q.Name, dims, q.Levels.Span, options),
                    new NnrTensorNote(null, shapeNote, q.Step, q.BitWidth, q.MinLevel, q.Patches.Count > 0 ? [.. q.Patches] : null));
            case RawTensor r when r.DType.IsFloatingPoint():
            {
                // NNCodec's decoder mis-sizes NNR_PT_RAW_FLOAT units (numpy promotes the byte count to float64), so floats
                // travel as NNR_PT_INT units of their float32 bit patterns; −0.0 (int32.MinValue) is coded as +0.0 with a patch.
                // Bit patterns are large (~2^30): one greater-than flag (cabac_unary_length_minus1 = 0) codes them more cheaply.
                var (bits, negativeZeros) = RawValues.ToFloat32Bits(r);
                return (IntUnit(r.Name, dims, bits, options with { UnaryLengthMinus1 = 0 }),
                    new NnrTensorNote(r.DType, shapeNote, null, null, null, negativeZeros.Length > 0 ? negativeZeros : null));
            }
            case RawTensor r:
            {
                int[] values = RawValues.ToInt32(r);
                var note = r.DType != EcqxDType.Int32 || shapeNote is not null ? new NnrTensorNote(r.DType == EcqxDType.Int32 ? null : r.DType, shapeNote, null, null, null, null) : null;
                return (IntUnit(r.Name, dims, values, options), note);
            }
            default:
                throw new ArgumentException($"tensor '{tensor.Name}': unknown tensor kind {tensor.GetType().Name}");
        }
    }

    private static byte[] IntUnit(string name, long[] dims, ReadOnlySpan<int> values, NnrWriteOptions options)
    {
        var w = DataUnitHeader(name, NnrPayloadType.Int, dims, options.UnaryLengthMinus1);
        var encoder = new NnrArithmeticEncoder(values.Length / 4 + 64);
        try { NnrLevelEncoder.Encode(encoder, values, options.UnaryLengthMinus1, options.OptimizeContextInitialization, options.TrialLevels); }
        catch (ArgumentOutOfRangeException e) { throw new ArgumentException($"tensor '{name}': {e.Message}", e); }
        w.WriteBytes(encoder.Finish());
        return NnrUnitFraming.Frame(w.ToArray());
    }

    /// <summary>The compressed data unit header with in-band dimensions and unary length, one topology element by name.</summary>
    private static NnrBitWriter DataUnitHeader(string name, NnrPayloadType type, long[] dims, int unaryLengthMinus1)
    {
        var w = new NnrBitWriter();
        NnrUnitFraming.WriteHeaderStart(w, NnrUnitType.CompressedData);
        w.WriteBits((ulong)type, 5);
        w.WriteBit(0); // nnr_multiple_topology_elements_present_flag
        w.WriteBit(0); // nnr_decompressed_data_format_present_flag
        w.WriteBit(1); // input_parameters_present_flag
        try { w.WriteString(name); }
        catch (ArgumentException e) { throw new ArgumentException($"tensor name: {e.Message}", e); }
        if (type is NnrPayloadType.Int or NnrPayloadType.Float or NnrPayloadType.Block) w.WriteBit(0); // dq_flag
        w.WriteBit(1);     // tensor_dimensions_flag
        w.WriteBit(1);     // cabac_unary_length_flag
        w.WriteBits(0, 4); // compressed_parameter_types
        w.WriteExpGolomb((ulong)dims.Length, 1);
        foreach (long d in dims) w.WriteExpGolomb((ulong)d, 7);
        w.WriteBits((ulong)unaryLengthMinus1, 8);
        if (dims.Length > 1) w.WriteBits(0, 4); // scan_order
        w.ByteAlign();
        return w;
    }
}
