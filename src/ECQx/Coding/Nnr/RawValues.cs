using System.Buffers.Binary;

namespace ECQx.Coding.Nnr;

/// <summary>
/// Converts raw tensors to the two value types NNR carries (int32 levels, float32 values) and back, losslessly or
/// not at all: a value that does not survive the conversion is an error naming the tensor and the element.
/// </summary>
internal static class RawValues
{
    /// <summary>The values of a floating-point tensor as float32 (float16 and bfloat16 widen exactly; float64 must be float32-exact).</summary>
    internal static float[] ToFloat32(RawTensor tensor)
    {
        var data = tensor.Data.Span;
        var values = new float[tensor.ElementCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = tensor.DType switch
            {
                EcqxDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]),
                EcqxDType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]),
                EcqxDType.BFloat16 => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]) << 16),
                EcqxDType.Float64 => Narrow(tensor.Name, i, BinaryPrimitives.ReadDoubleLittleEndian(data[(8 * i)..])),
                _ => throw new ArgumentException($"tensor '{tensor.Name}': dtype {tensor.DType} is not floating-point"),
            };
        }
        return values;
    }

    /// <summary>
    /// The float32 bit patterns of a floating-point tensor as int32, with −0.0 (whose pattern is int32.MinValue, beyond the
    /// binarization) replaced by +0.0, and the patches that restore those −0.0 elements.
    /// </summary>
    internal static (int[] Bits, ValuePatch[] NegativeZeros) ToFloat32Bits(RawTensor tensor)
    {
        float[] values = ToFloat32(tensor);
        var bits = new int[values.Length];
        var negativeZeros = new List<ValuePatch>();
        for (int i = 0; i < values.Length; i++)
        {
            bits[i] = BitConverter.SingleToInt32Bits(values[i]);
            if (bits[i] == int.MinValue)
            {
                bits[i] = 0;
                negativeZeros.Add(new ValuePatch(i, -0f));
            }
        }
        return (bits, [.. negativeZeros]);
    }

    /// <summary>Float32 values from their bit patterns, with <paramref name="patches"/> applied.</summary>
    internal static float[] FromFloat32Bits(int[] bits, IReadOnlyList<ValuePatch>? patches)
    {
        var values = new float[bits.Length];
        for (int i = 0; i < bits.Length; i++) values[i] = BitConverter.Int32BitsToSingle(bits[i]);
        foreach (var p in patches ?? [])
        {
            if (p.Index < 0 || p.Index >= values.Length) throw new InvalidDataException($"a patch at index {p.Index} lies outside the tensor's {values.Length} elements");
            values[p.Index] = p.Value;
        }
        return values;
    }

    /// <summary>The values of an integer or bool tensor as int32 (each within ±int32.MaxValue).</summary>
    internal static int[] ToInt32(RawTensor tensor)
    {
        var data = tensor.Data.Span;
        var values = new int[tensor.ElementCount];
        for (int i = 0; i < values.Length; i++)
        {
            long v = tensor.DType switch
            {
                EcqxDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(data[(8 * i)..]),
                EcqxDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(data[(4 * i)..]),
                EcqxDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(data[(2 * i)..]),
                EcqxDType.Int8 => (sbyte)data[i],
                EcqxDType.UInt8 or EcqxDType.Bool => data[i],
                _ => throw new ArgumentException($"tensor '{tensor.Name}': dtype {tensor.DType} is not an integer type"),
            };
            if (v is <= int.MinValue or > int.MaxValue)
                throw new ArgumentException($"tensor '{tensor.Name}': element {i} = {v} is outside the int32 levels NNR_PT_INT carries (±{int.MaxValue})");
            values[i] = (int)v;
        }
        return values;
    }

    /// <summary>Raw bytes of dtype <paramref name="dtype"/> from float32 values; throws <see cref="InvalidDataException"/> for a value the dtype cannot hold exactly.</summary>
    internal static byte[] FromFloat32(string name, EcqxDType dtype, float[] values)
    {
        var bytes = new byte[values.Length * dtype.ElementSize()];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            switch (dtype)
            {
                case EcqxDType.Float32: BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), v); break;
                case EcqxDType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), v); break;
                case EcqxDType.Float16:
                    var h = (Half)v;
                    if (BitConverter.SingleToUInt32Bits((float)h) != BitConverter.SingleToUInt32Bits(v) && !float.IsNaN(v)) throw NotExact(name, i, v, dtype);
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), h);
                    break;
                case EcqxDType.BFloat16:
                    uint bits = BitConverter.SingleToUInt32Bits(v);
                    if ((bits & 0xFFFF) != 0) throw NotExact(name, i, v, dtype);
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), (ushort)(bits >> 16));
                    break;
                default: throw new InvalidDataException($"tensor '{name}': dtype {dtype} is not floating-point, but its unit holds float32 values");
            }
        }
        return bytes;
    }

    /// <summary>Raw bytes of dtype <paramref name="dtype"/> from int32 values; throws <see cref="InvalidDataException"/> for a value out of the dtype's range.</summary>
    internal static byte[] FromInt32(string name, EcqxDType dtype, int[] values)
    {
        var bytes = new byte[values.Length * dtype.ElementSize()];
        for (int i = 0; i < values.Length; i++)
        {
            int v = values[i];
            switch (dtype)
            {
                case EcqxDType.Int64: BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), v); break;
                case EcqxDType.Int32: BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), v); break;
                case EcqxDType.Int16 when v is >= short.MinValue and <= short.MaxValue: BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), (short)v); break;
                case EcqxDType.Int8 when v is >= sbyte.MinValue and <= sbyte.MaxValue: bytes[i] = (byte)(sbyte)v; break;
                case EcqxDType.UInt8 when v is >= 0 and <= 255: bytes[i] = (byte)v; break;
                case EcqxDType.Bool when v is 0 or 1: bytes[i] = (byte)v; break;
                default: throw new InvalidDataException($"tensor '{name}': element {i} = {v} does not fit its dtype {dtype}");
            }
        }
        return bytes;
    }

    private static float Narrow(string name, int index, double value)
    {
        float f = (float)value;
        if (f != value && !double.IsNaN(value))
            throw new ArgumentException($"tensor '{name}': float64 element {index} = {value:R} is not a float32 value; NNR carries float32 only (convert the tensor first)");
        return f;
    }

    private static InvalidDataException NotExact(string name, int index, float value, EcqxDType dtype) =>
        new($"tensor '{name}': element {index} = {value:R} is not a {dtype} value");
}
