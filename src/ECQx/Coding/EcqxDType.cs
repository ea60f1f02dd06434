namespace ECQx.Coding;

/// <summary>Element type of a tensor in an .ecqx file (the code is the byte stored in the file).</summary>
public enum EcqxDType : byte
{
    /// <summary>IEEE binary32.</summary>
    Float32 = 1,
    /// <summary>IEEE binary64.</summary>
    Float64 = 2,
    /// <summary>IEEE binary16.</summary>
    Float16 = 3,
    /// <summary>bfloat16.</summary>
    BFloat16 = 4,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 7,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 8,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 9,
    /// <summary>Boolean, one byte per element.</summary>
    Bool = 10,
}

/// <summary>Facts about <see cref="EcqxDType"/> values.</summary>
public static class EcqxDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this EcqxDType type) => type switch
    {
        EcqxDType.Float64 or EcqxDType.Int64 => 8,
        EcqxDType.Float32 or EcqxDType.Int32 => 4,
        EcqxDType.Float16 or EcqxDType.BFloat16 or EcqxDType.Int16 => 2,
        EcqxDType.Int8 or EcqxDType.UInt8 or EcqxDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown EcqxDType"),
    };

    /// <summary>Whether <paramref name="type"/> is a defined value.</summary>
    public static bool IsDefined(EcqxDType type) => type is >= EcqxDType.Float32 and <= EcqxDType.Bool;

    /// <summary>Whether the type is a floating-point type.</summary>
    public static bool IsFloatingPoint(this EcqxDType type) =>
        type is EcqxDType.Float32 or EcqxDType.Float64 or EcqxDType.Float16 or EcqxDType.BFloat16;
}
