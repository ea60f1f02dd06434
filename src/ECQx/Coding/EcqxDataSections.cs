using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ECQx.Coding;

/// <summary>
/// Tensor data of an .ecqx file (docs/ecqx-file-format.md): an LVLS payload is the value patches followed by
/// the <see cref="LevelCoder"/> stream; the RAWS payload holds every other tensor's little-endian bytes
/// (or binary16 values) back to back in model order.
/// </summary>
internal static class EcqxDataSections
{
    /// <summary>Bytes per stored element of a raw tensor.</summary>
    internal static int StoredElementSize(TensorDescription d) => d.Storage == EcqxStorage.Float16 ? 2 : d.DType.ElementSize();

    internal static void WritePatches(FieldWriter w, IReadOnlyList<ValuePatch> patches)
    {
        w.VarUInt((ulong)patches.Count);
        int next = 0;
        foreach (var p in patches)
        {
            w.VarUInt((ulong)(p.Index - next));
            w.UInt32(BitConverter.SingleToUInt32Bits(p.Value));
            next = p.Index + 1;
        }
    }

    internal static byte[] ToFloat16(RawTensor tensor)
    {
        var result = new byte[tensor.ElementCount * 2];
        var half = MemoryMarshal.Cast<byte, Half>(result.AsSpan());
        var source = tensor.Data.Span;
        if (tensor.DType == EcqxDType.Float32)
        {
            for (int i = 0; i < half.Length; i++) half[i] = (Half)BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
        }
        else
        {
            for (int i = 0; i < half.Length; i++) half[i] = (Half)BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]);
        }
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException(".ecqx writing needs a little-endian machine");
        return result;
    }

    internal static RawTensor ParseRaw(ReadOnlySpan<byte> payload, TensorDescription d, string context)
    {
        int elementSize = d.Storage == EcqxStorage.Float16 ? 2 : d.DType.ElementSize();
        long expected = (long)d.ElementCount * elementSize;
        if (payload.Length != expected)
            throw new InvalidDataException(
                $"{context}: {payload.Length} bytes, but {d.ElementCount} elements of {(d.Storage == EcqxStorage.Float16 ? "float16" : d.DType)} need {expected}.");
        byte[] data;
        if (d.Storage == EcqxStorage.Raw)
        {
            data = payload.ToArray();
        }
        else
        {
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException(".ecqx reading needs a little-endian machine");
            var half = MemoryMarshal.Cast<byte, Half>(payload);
            data = new byte[(long)d.ElementCount * d.DType.ElementSize()];
            if (d.DType == EcqxDType.Float32)
                for (int i = 0; i < half.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), (float)half[i]);
            else
                for (int i = 0; i < half.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8 * i), (double)half[i]);
        }
        return new RawTensor(d.Name, d.DType, d.Shape, data);
    }

    internal static QuantizedTensor ParseLevels(ReadOnlySpan<byte> payload, TensorDescription d, string context)
    {
        var r = new FieldReader(payload, context);
        int patchCount = r.VarCount("value patch count", Math.Min(d.ElementCount, r.Remaining / 5));
        var patches = new ValuePatch[patchCount];
        long next = 0;
        for (int i = 0; i < patchCount; i++)
        {
            ulong delta = r.VarUInt($"index of value patch {i}");
            if (delta >= (ulong)(d.ElementCount - next)) throw r.Fail($"value patch {i} points past the tensor's {d.ElementCount} elements");
            int index = (int)(next + (long)delta);
            float value = BitConverter.UInt32BitsToSingle(r.UInt32($"value of patch {i}"));
            if (!float.IsFinite(value)) throw r.Fail($"value patch {i} (element {index}) is {value}");
            patches[i] = new ValuePatch(index, value);
            next = index + 1L;
        }
        var stream = r.Bytes(r.Remaining, "level stream");
        int[] levels;
        try
        {
            levels = LevelCoder.Decode(stream, d.ElementCount);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{context}: {e.Message}", e);
        }
        long maxLevel = d.MinLevel + (1L << d.BitWidth) - 1;
        long largest = 0;
        for (int i = 0; i < levels.Length; i++)
        {
            if (levels[i] < d.MinLevel || levels[i] > maxLevel)
                throw new InvalidDataException(
                    $"{context}: decoded level {levels[i]} at element {i} is outside the {d.BitWidth}-bit codebook [{d.MinLevel}, {maxLevel}] (corrupt stream).");
            largest = Math.Max(largest, Math.Abs((long)levels[i]));
        }
        if (!float.IsFinite(QuantizedTensor.GridValue(largest, d.Step)))
            throw new InvalidDataException(
                $"{context}: step {d.Step:R} × largest level {largest} = {largest * d.Step:R} overflows float32; the dequantized weights would be infinite.");
        return new QuantizedTensor(d.Name, d.Shape, levels, d.Step, d.BitWidth, d.MinLevel, patches);
    }
}
