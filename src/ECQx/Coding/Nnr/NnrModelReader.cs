using ECQx.IO;

namespace ECQx.Coding.Nnr;

/// <summary>Turns the units of an NNR bitstream into an <see cref="EcqxModel"/>, applying the ecqx note when present.</summary>
internal static class NnrModelReader
{
    internal static NnrFileContents Read(byte[] data, string source, CancellationToken cancellationToken = default)
    {
        var (units, noteText, noteUnit) = NnrUnitParser.Parse(data, source, cancellationToken);
        string noteWhere = $"{source}: NNR unit {noteUnit} (NNR_TPL), field topology_data";
        NnrEcqxNote? note = noteText is null ? null : NnrEcqxNote.Parse(noteText, problem => new InvalidDataException($"{noteWhere}: {problem}"));
        if (note is not null)
        {
            uint crc = 0;
            foreach (var u in units) crc = Crc32.Append(crc, data.AsSpan(u.Offset, u.UnitBytes));
            if (crc != note.DataUnitsCrc32)
                throw new InvalidDataException($"{noteWhere}: the CRC-32 of the data units is {crc:x8}, the ecqx note says {note.DataUnitsCrc32:x8}: the bitstream is damaged");
            if (note.Tensors.Keys.Where(i => i < 0 || i >= units.Count).Select(i => (int?)i).FirstOrDefault() is int outside)
                throw new InvalidDataException($"{noteWhere}: the note describes tensor {outside}, but the bitstream has {units.Count} data units");
        }
        var tensors = new List<EcqxTensor>(units.Count);
        for (int i = 0; i < units.Count; i++)
        {
            var unit = units[i];
            NnrTensorNote? t = null;
            note?.Tensors.TryGetValue(i, out t);
            string where = $"{source}: NNR unit at byte {unit.Offset} (NNR_NDU '{unit.Name}')";
            try { tensors.Add(Tensor(unit, t)); }
            catch (ArgumentException e) { throw new InvalidDataException($"{where}: {e.Message}", e); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{where}: {e.Message}", e); }
        }
        var model = new EcqxModel(tensors, note?.Metadata);
        var facts = units.Select(u => new NnrTensorUnit(u.Name, u.PayloadType, u.UnitBytes, u.PayloadBytes)).ToList();
        return new NnrFileContents(model, data.Length, facts, note is not null);
    }

    private static EcqxTensor Tensor(NnrDataUnit unit, NnrTensorNote? note)
    {
        IReadOnlyList<long> shape = unit.Dimensions;
        if (note?.Shape is { } noted)
        {
            long count = noted.Aggregate(1L, (a, d) => d < 0 || a > Array.MaxLength ? -1 : a * d);
            if (count != unit.Dimensions.Aggregate(1L, (a, d) => a * d))
                throw new InvalidDataException($"the ecqx note's shape [{string.Join(", ", noted)}] does not match the unit's dimensions [{string.Join(", ", unit.Dimensions)}]");
            shape = noted;
        }
        switch (unit.PayloadType)
        {
            case NnrPayloadType.Int when note?.Step is { } step:
                return new QuantizedTensor(unit.Name, shape, unit.Levels!, step,
                    note.BitWidth ?? throw new InvalidDataException("the ecqx note gives a step but no bit width"),
                    note.MinLevel ?? throw new InvalidDataException("the ecqx note gives a step but no lowest level"), note.Patches);
            case NnrPayloadType.Int when note?.DType is { } floatType && floatType.IsFloatingPoint():
                return new RawTensor(unit.Name, floatType, shape, RawValues.FromFloat32(unit.Name, floatType, RawValues.FromFloat32Bits(unit.Levels!, note.Patches)));
            case NnrPayloadType.Int:
            {
                var dtype = note?.DType ?? EcqxDType.Int32;
                return new RawTensor(unit.Name, dtype, shape, RawValues.FromInt32(unit.Name, dtype, unit.Levels!));
            }
            case NnrPayloadType.Float:
            {
                int[] levels = unit.Levels!;
                long min = levels.Length == 0 ? 0 : levels.Min(), max = levels.Length == 0 ? 0 : levels.Max();
                int bits = 1;
                while (bits < 32 && max - min + 1 > 1L << bits) bits++;
                return new QuantizedTensor(unit.Name, shape, levels, unit.Step!.Value, bits, (int)min);
            }
            case NnrPayloadType.RawFloat:
            {
                var dtype = note?.DType ?? EcqxDType.Float32;
                return new RawTensor(unit.Name, dtype, shape, RawValues.FromFloat32(unit.Name, dtype, unit.Floats!));
            }
            default:
                throw new InvalidDataException($"payload type {NnrNames.Of(unit.PayloadType)} is not supported");
        }
    }
}
