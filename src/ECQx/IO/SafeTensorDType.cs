using TorchSharp;

namespace ECQx.IO;

/// <summary>Maps safetensors dtype names (<c>F32</c>, <c>I64</c>, …) to TorchSharp scalar types and sizes.</summary>
public static class SafeTensorDType
{
    private static readonly (string Name, torch.ScalarType Type, int Size)[] Table =
    {
        ("F64", torch.ScalarType.Float64, 8),
        ("F32", torch.ScalarType.Float32, 4),
        ("F16", torch.ScalarType.Float16, 2),
        ("BF16", torch.ScalarType.BFloat16, 2),
        ("I64", torch.ScalarType.Int64, 8),
        ("I32", torch.ScalarType.Int32, 4),
        ("I16", torch.ScalarType.Int16, 2),
        ("I8", torch.ScalarType.Int8, 1),
        ("U8", torch.ScalarType.Byte, 1),
        ("BOOL", torch.ScalarType.Bool, 1),
    };

    /// <summary>The scalar type and element size for a safetensors dtype name; false when unknown.</summary>
    public static bool TryParse(string name, out torch.ScalarType type, out int elementSize)
    {
        foreach (var row in Table)
        {
            if (row.Name == name) { type = row.Type; elementSize = row.Size; return true; }
        }
        type = default; elementSize = 0;
        return false;
    }

    /// <summary>The safetensors dtype name of a scalar type; throws for types safetensors cannot hold.</summary>
    public static string NameOf(torch.ScalarType type)
    {
        foreach (var row in Table)
            if (row.Type == type) return row.Name;
        throw new ArgumentException($"Scalar type {type} cannot be stored in a safetensors file.");
    }
}
