using System.IO.Compression;

namespace ECQx.Coding;

/// <summary>What the MODL section says about one tensor.</summary>
internal sealed record TensorDescription(string Name, EcqxDType DType, long[] Shape, int ElementCount, EcqxStorage Storage,
    double Step, int MinLevel, int BitWidth);

/// <summary>The parsed MODL section: metadata and tensor descriptions in file order.</summary>
internal sealed record ModelDescription(Dictionary<string, string> Metadata, List<TensorDescription> Tensors);

/// <summary>
/// The MODL section of an .ecqx file (docs/ecqx-file-format.md): a body of metadata and tensor descriptions,
/// stored as is or raw-Deflate compressed, whichever is smaller.
/// </summary>
internal static class EcqxModelSection
{
    private const int MaxNameBytes = 1 << 16;
    private const int MaxMetadataBytes = 1 << 24;

    private const byte ModelUncompressed = 0;
    private const byte ModelDeflate = 1;

    /// <summary>Largest inflated MODL body accepted (names and shapes of any real model fit easily).</summary>
    private const int MaxModelBodyBytes = 1 << 28;

    /// <summary>The MODL payload for a model.</summary>
    internal static FieldWriter Write(EcqxModel model, EcqxStorage[] storage) => Compress(Body(model, storage));

    /// <summary>Parses a MODL payload; <paramref name="context"/> prefixes error messages.</summary>
    internal static ModelDescription Parse(ReadOnlySpan<byte> payload, string context) => ParseBody(Inflate(payload, context), context);

    /// <summary>MODL payload: one byte (0 = body follows as is, 1 = body is raw-Deflate compressed), then the body.</summary>
    private static FieldWriter Compress(FieldWriter body)
    {
        var payload = new FieldWriter();
        using var deflated = new MemoryStream();
        using (var deflate = new DeflateStream(deflated, CompressionLevel.SmallestSize, leaveOpen: true)) deflate.Write(body.Written);
        if (deflated.Length < body.Length)
        {
            payload.Byte(ModelDeflate);
            payload.Bytes(deflated.GetBuffer().AsSpan(0, (int)deflated.Length));
        }
        else
        {
            payload.Byte(ModelUncompressed);
            payload.Bytes(body.Written);
        }
        return payload;
    }

    private static byte[] Inflate(ReadOnlySpan<byte> payload, string context)
    {
        if (payload.Length == 0) throw new InvalidDataException($"{context}: empty payload.");
        var body = payload[1..];
        switch (payload[0])
        {
            case ModelUncompressed:
                return body.ToArray();
            case ModelDeflate:
                // Deflate expands at most ~1032:1; the limit also bounds what a hostile stream can make us allocate.
                long limit = Math.Min(MaxModelBodyBytes, 1040L * body.Length + 1024);
                using (var input = new MemoryStream(body.ToArray(), writable: false))
                    return InflateBounded(input, limit, context);
            default:
                throw new InvalidDataException($"{context}: unknown body encoding {payload[0]}.");
        }
    }

    /// <summary>
    /// Inflates the raw-Deflate stream <paramref name="compressed"/> (seekable) in two passes: the first only counts the
    /// inflated bytes and stops as soon as they pass <paramref name="limit"/> (a refusal then costs one 16 KiB buffer and
    /// reads only the compressed bytes that make up the limit); the second inflates into an array of exactly that size.
    /// </summary>
    internal static byte[] InflateBounded(Stream compressed, long limit, string context)
    {
        long start = compressed.Position;
        long size = InflatePass(compressed, limit, context, into: null);
        compressed.Position = start;
        var body = new byte[size];
        InflatePass(compressed, limit, context, body);
        return body;
    }

    /// <summary>One inflation pass: counts the bytes (and copies them into <paramref name="into"/> when given).</summary>
    private static long InflatePass(Stream compressed, long limit, string context, byte[]? into)
    {
        using var inflate = new DeflateStream(compressed, CompressionMode.Decompress, leaveOpen: true);
        var buffer = new byte[16384];
        long total = 0;
        try
        {
            int read;
            while ((read = inflate.Read(buffer)) > 0)
            {
                if (total + read > limit || (into is not null && total + read > into.Length))
                    throw new InvalidDataException($"{context}: compressed body inflates beyond {limit} bytes; decompression was stopped there.");
                if (into is not null) buffer.AsSpan(0, read).CopyTo(into.AsSpan((int)total));
                total += read;
            }
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(context, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{context}: compressed body is corrupt ({e.Message}).", e);
        }
        return total;
    }

    private static FieldWriter Body(EcqxModel model, EcqxStorage[] storage)
    {
        var w = new FieldWriter();
        w.VarUInt((ulong)model.Metadata.Count);
        foreach (var (key, value) in model.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.String(key);
            w.String(value);
        }
        w.VarUInt((ulong)model.Tensors.Count);
        for (int i = 0; i < model.Tensors.Count; i++)
        {
            var t = model.Tensors[i];
            w.String(t.Name);
            w.Byte((byte)t.DType);
            w.Byte((byte)t.Shape.Count);
            foreach (long d in t.Shape) w.VarUInt((ulong)d);
            w.Byte((byte)storage[i]);
            if (t is QuantizedTensor q)
            {
                w.Double(q.Step);
                w.VarInt(q.MinLevel);
                w.Byte((byte)q.BitWidth);
            }
        }
        return w;
    }

    private static ModelDescription ParseBody(ReadOnlySpan<byte> payload, string context)
    {
        var r = new FieldReader(payload, context);
        int metadataCount = r.VarCount("metadata entry count", r.Remaining / 2);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < metadataCount; i++)
        {
            string key = r.String($"metadata key {i}", MaxMetadataBytes);
            string value = r.String($"metadata value of '{key}'", MaxMetadataBytes);
            if (!metadata.TryAdd(key, value)) throw r.Fail($"metadata key '{key}' appears twice");
        }
        int tensorCount = r.VarCount("tensor count", r.Remaining / 4);
        var tensors = new List<TensorDescription>(tensorCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensorCount; i++)
        {
            string name = r.String($"name of tensor {i}", MaxNameBytes);
            if (name.Length == 0) throw r.Fail($"tensor {i} has an empty name");
            if (!names.Add(name)) throw r.Fail($"tensor name '{name}' appears twice");
            var dtype = (EcqxDType)r.Byte($"dtype of tensor '{name}'");
            if (!EcqxDTypes.IsDefined(dtype)) throw r.Fail($"tensor '{name}' has unknown dtype code {(byte)dtype}");
            int rank = r.Byte($"rank of tensor '{name}'");
            if (rank > EcqxTensor.MaxRank) throw r.Fail($"tensor '{name}' has rank {rank}, more than {EcqxTensor.MaxRank}");
            var shape = new long[rank];
            long count = 1;
            for (int k = 0; k < rank; k++)
            {
                ulong d = r.VarUInt($"dimension {k} of tensor '{name}'");
                if (d > (ulong)Array.MaxLength) throw r.Fail($"tensor '{name}' has dimension {d}, more than {Array.MaxLength}");
                shape[k] = (long)d;
                count = d == 0 || count == 0 ? 0 : count > Array.MaxLength / (long)d
                    ? throw r.Fail($"tensor '{name}' of shape [{string.Join(", ", shape.Take(k + 1))}, …] has more than {Array.MaxLength} elements")
                    : count * (long)d;
            }
            var storage = (EcqxStorage)r.Byte($"storage kind of tensor '{name}'");
            double step = 0;
            int minLevel = 0, bitWidth = 0;
            switch (storage)
            {
                case EcqxStorage.Levels:
                    if (dtype != EcqxDType.Float32) throw r.Fail($"tensor '{name}' stores levels but has dtype {dtype}; levels need Float32");
                    step = r.Double($"step of tensor '{name}'");
                    if (!QuantizedTensor.IsUsableStep(step))
                        throw r.Fail($"tensor '{name}' has step {step:R}; it must be finite and at least {QuantizedTensor.MinStep:R} (the smallest normal float32)");
                    long min = r.VarInt($"minimum level of tensor '{name}'");
                    bitWidth = r.Byte($"bit width of tensor '{name}'");
                    if (bitWidth is < 1 or > 32) throw r.Fail($"tensor '{name}' has bit width {bitWidth}; it must be 1..32");
                    if (min < int.MinValue || min + (1L << bitWidth) - 1 > int.MaxValue)
                        throw r.Fail($"tensor '{name}' has a {bitWidth}-bit codebook from level {min}, outside int32");
                    minLevel = (int)min;
                    break;
                case EcqxStorage.Raw:
                    break;
                case EcqxStorage.Float16:
                    if (dtype is not (EcqxDType.Float32 or EcqxDType.Float64))
                        throw r.Fail($"tensor '{name}' is stored as float16 but has dtype {dtype}");
                    break;
                default:
                    throw r.Fail($"tensor '{name}' has unknown storage kind {(byte)storage}");
            }
            tensors.Add(new TensorDescription(name, dtype, shape, (int)count, storage, step, minLevel, bitWidth));
        }
        if (r.Remaining != 0) throw r.Fail($"{r.Remaining} unexpected trailing byte(s)");
        return new ModelDescription(metadata, tensors);
    }
}
