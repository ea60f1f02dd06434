using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using ECQx.IO;

namespace ECQx.Coding;

/// <summary>
/// Reads and writes the .ecqx model container (format 1.0, documented in docs/ecqx-file-format.md).
/// A file is a 16-byte header (magic, version, header CRC-32) followed by CRC-protected sections:
/// <c>MODL</c> (metadata and tensor descriptions, optionally Deflate-compressed), one <c>LVLS</c> section of
/// coded levels per quantized tensor, one <c>RAWS</c> section with the data of all other tensors, and <c>ENDS</c>. Readers treat the file as hostile: every count and size
/// is checked against the bytes that are actually there before anything is allocated, and every problem
/// raises an <see cref="InvalidDataException"/> naming the file and section.
/// </summary>
public static class EcqxModelFile
{
    /// <summary>The usual file extension.</summary>
    public const string Extension = ".ecqx";

    /// <summary>Format major version written; readers reject other major versions.</summary>
    public const ushort MajorVersion = 1;

    /// <summary>Format minor version written; readers accept any minor version of their major version.</summary>
    public const ushort MinorVersion = 0;

    /// <summary>Bytes of the file header.</summary>
    public const int HeaderBytes = 16;

    /// <summary>Bytes of a section's framing: tag, length and CRC.</summary>
    public const int SectionFramingBytes = 16;

    /// <summary>The eight magic bytes: 0x89 'E' 'C' 'Q' 'X' CR LF 0x1A.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'E', (byte)'C', (byte)'Q', (byte)'X', 0x0D, 0x0A, 0x1A];

    internal const uint TagModel = 0x4C444F4D;   // "MODL"
    internal const uint TagLevels = 0x534C564C;  // "LVLS"
    internal const uint TagRaw = 0x53574152;     // "RAWS"
    internal const uint TagEnd = 0x53444E45;     // "ENDS"

    private const int MaxNameBytes = 1 << 16;
    private const int MaxMetadataBytes = 1 << 24;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, EcqxModel model, EcqxWriteOptions? options = null)
    {
        byte[] bytes = Serialize(model, options);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>The bytes of the .ecqx file for <paramref name="model"/>.</summary>
    public static byte[] Serialize(EcqxModel model, EcqxWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= EcqxWriteOptions.Default;
        options.Coder.Validate();

        var storage = model.Tensors.Select(t => StorageOf(t, options)).ToArray();
        var streams = new byte[model.Tensors.Count][];
        Parallel.For(0, model.Tensors.Count, i =>
        {
            if (model.Tensors[i] is QuantizedTensor q) streams[i] = LevelCoder.Encode(q.Levels.Span, options.Coder);
        });

        var file = new FieldWriter();
        file.Bytes(Magic);
        file.UInt16(MajorVersion);
        file.UInt16(MinorVersion);
        file.UInt32(Crc32.Compute(file.Written));

        WriteSection(file, TagModel, CompressedModelSection(ModelSection(model, storage)));
        var raw = new FieldWriter();
        for (int i = 0; i < model.Tensors.Count; i++)
        {
            switch (model.Tensors[i])
            {
                case QuantizedTensor q:
                    var payload = new FieldWriter();
                    WritePatches(payload, q.Patches);
                    payload.Bytes(streams[i]);
                    WriteSection(file, TagLevels, payload);
                    break;
                case RawTensor r when storage[i] == EcqxStorage.Float16:
                    raw.Bytes(ToFloat16(r));
                    break;
                case RawTensor r:
                    raw.Bytes(r.Data.Span);
                    break;
                default:
                    throw new ArgumentException($"unsupported tensor kind {model.Tensors[i].GetType().Name}");
            }
        }
        WriteSection(file, TagRaw, raw);
        WriteSection(file, TagEnd, new FieldWriter());
        return file.Written.ToArray();
    }

    /// <summary>Reads the model in an .ecqx file.</summary>
    public static EcqxModel Read(string path) => ReadDetailed(path).Model;

    /// <summary>Reads an .ecqx file with its layout (per-tensor stored bytes).</summary>
    public static EcqxFileContents ReadDetailed(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($".ecqx file not found: {path}", path);
        long length = new FileInfo(path).Length;
        if (length > Array.MaxLength) throw new InvalidDataException($"{path}: file of {length} bytes is larger than this reader supports.");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses .ecqx bytes; <paramref name="sourceName"/> names the file in error messages.</summary>
    public static EcqxFileContents Parse(ReadOnlySpan<byte> file, string sourceName)
    {
        if (file.Length < HeaderBytes)
            throw new InvalidDataException($"{sourceName}: not an .ecqx file: {file.Length} bytes, shorter than the {HeaderBytes}-byte header.");
        if (!file[..8].SequenceEqual(Magic))
            throw new InvalidDataException($"{sourceName}: not an .ecqx file: the magic bytes do not match.");
        ushort major = BinaryPrimitives.ReadUInt16LittleEndian(file[8..]);
        ushort minor = BinaryPrimitives.ReadUInt16LittleEndian(file[10..]);
        uint headerCrc = BinaryPrimitives.ReadUInt32LittleEndian(file[12..]);
        if (Crc32.Compute(file[..12]) != headerCrc)
            throw new InvalidDataException($"{sourceName}: file header checksum mismatch (corrupt header).");
        if (major != MajorVersion)
            throw new InvalidDataException(
                $"{sourceName}: unsupported .ecqx format version {major}.{minor}; this reader reads version {MajorVersion}.x.");

        int position = HeaderBytes;
        var modelSection = NextSection(file, ref position, sourceName, TagModel);
        var description = ParseModelSection(InflateModelSection(modelSection, $"{sourceName}: section MODL"), $"{sourceName}: section MODL");

        var tensors = new EcqxTensor[description.Tensors.Count];
        var storage = new EcqxTensorStorage[description.Tensors.Count];
        for (int i = 0; i < tensors.Length; i++)
        {
            var d = description.Tensors[i];
            if (d.Storage != EcqxStorage.Levels) continue;
            var payload = NextSection(file, ref position, sourceName, TagLevels, d.Name);
            tensors[i] = ParseLevels(payload, d, $"{sourceName}: section LVLS of tensor '{d.Name}'");
            storage[i] = new EcqxTensorStorage(d.Name, d.Storage, payload.Length);
        }
        var rawSection = NextSection(file, ref position, sourceName, TagRaw);
        long expectedRaw = description.Tensors.Where(d => d.Storage != EcqxStorage.Levels).Sum(d => (long)d.ElementCount * StoredElementSize(d));
        if (rawSection.Length != expectedRaw)
            throw new InvalidDataException(
                $"{sourceName}: section RAWS has {rawSection.Length} bytes, but the raw tensors described in MODL need {expectedRaw}.");
        int rawOffset = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            var d = description.Tensors[i];
            if (d.Storage == EcqxStorage.Levels) continue;
            int length = d.ElementCount * StoredElementSize(d);
            tensors[i] = ParseRaw(rawSection.Slice(rawOffset, length), d, $"{sourceName}: section RAWS, tensor '{d.Name}'");
            storage[i] = new EcqxTensorStorage(d.Name, d.Storage, length);
            rawOffset += length;
        }
        var end = NextSection(file, ref position, sourceName, TagEnd);
        if (end.Length != 0)
            throw new InvalidDataException($"{sourceName}: section ENDS must be empty but has {end.Length} bytes.");
        if (position != file.Length)
            throw new InvalidDataException($"{sourceName}: {file.Length - position} trailing byte(s) after the ENDS section.");
        return new EcqxFileContents(new EcqxModel(tensors, description.Metadata), file.Length, storage);
    }

    private static EcqxStorage StorageOf(EcqxTensor tensor, EcqxWriteOptions options) => tensor switch
    {
        QuantizedTensor => EcqxStorage.Levels,
        RawTensor r when options.StoreFloatsAsFloat16 && r.DType is EcqxDType.Float32 or EcqxDType.Float64 => EcqxStorage.Float16,
        _ => EcqxStorage.Raw,
    };

    private const byte ModelUncompressed = 0;
    private const byte ModelDeflate = 1;

    /// <summary>Largest inflated MODL body accepted (names and shapes of any real model fit easily).</summary>
    private const int MaxModelBodyBytes = 1 << 28;

    private static int StoredElementSize(TensorDescription d) => d.Storage == EcqxStorage.Float16 ? 2 : d.DType.ElementSize();

    /// <summary>MODL payload: one byte (0 = body follows as is, 1 = body is raw-Deflate compressed), then the body.</summary>
    private static FieldWriter CompressedModelSection(FieldWriter body)
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

    private static byte[] InflateModelSection(ReadOnlySpan<byte> payload, string context)
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
                using (var inflate = new DeflateStream(input, CompressionMode.Decompress))
                using (var output = new MemoryStream())
                {
                    var buffer = new byte[16384];
                    try
                    {
                        int read;
                        while ((read = inflate.Read(buffer)) > 0)
                        {
                            if (output.Length + read > limit)
                                throw new InvalidDataException($"{context}: compressed body inflates beyond {limit} bytes.");
                            output.Write(buffer, 0, read);
                        }
                    }
                    catch (InvalidDataException e) when (!e.Message.StartsWith(context, StringComparison.Ordinal))
                    {
                        throw new InvalidDataException($"{context}: compressed body is corrupt ({e.Message}).", e);
                    }
                    return output.ToArray();
                }
            default:
                throw new InvalidDataException($"{context}: unknown body encoding {payload[0]}.");
        }
    }

    private static FieldWriter ModelSection(EcqxModel model, EcqxStorage[] storage)
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

    private static void WritePatches(FieldWriter w, IReadOnlyList<ValuePatch> patches)
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

    private static byte[] ToFloat16(RawTensor tensor)
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

    private static void WriteSection(FieldWriter file, uint tag, FieldWriter payload)
    {
        int start = file.Length;
        file.UInt32(tag);
        file.UInt64((ulong)payload.Length);
        file.Bytes(payload.Written);
        file.UInt32(Crc32.Compute(file.Written[start..]));
    }

    private static ReadOnlySpan<byte> NextSection(ReadOnlySpan<byte> file, ref int position, string source, uint expectedTag, string? tensor = null)
    {
        string expected = TagName(expectedTag) + (tensor is null ? "" : $" of tensor '{tensor}'");
        int remaining = file.Length - position;
        if (remaining < SectionFramingBytes)
            throw new InvalidDataException($"{source}: truncated file: section {expected} expected at byte {position}, but only {remaining} bytes remain.");
        uint tag = BinaryPrimitives.ReadUInt32LittleEndian(file[position..]);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file[(position + 4)..]);
        if (tag != expectedTag)
            throw new InvalidDataException($"{source}: expected section {expected} at byte {position}, found tag '{TagName(tag)}'.");
        if (length > (ulong)(remaining - SectionFramingBytes))
            throw new InvalidDataException(
                $"{source}: section {expected} claims {length} payload bytes but only {remaining - SectionFramingBytes} remain (truncated file?).");
        int total = 12 + (int)length;
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file[(position + total)..]);
        uint computed = Crc32.Compute(file.Slice(position, total));
        if (stored != computed)
            throw new InvalidDataException($"{source}: section {expected} checksum mismatch (stored 0x{stored:X8}, computed 0x{computed:X8}): the file is corrupt.");
        var payload = file.Slice(position + 12, (int)length);
        position += total + 4;
        return payload;
    }

    private static string TagName(uint tag)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, tag);
        var sb = new StringBuilder(4);
        foreach (byte c in b) sb.Append(c is >= 0x20 and < 0x7F ? (char)c : '?');
        return sb.ToString();
    }

    private sealed record TensorDescription(string Name, EcqxDType DType, long[] Shape, int ElementCount, EcqxStorage Storage,
        double Step, int MinLevel, int BitWidth);

    private sealed record ModelDescription(Dictionary<string, string> Metadata, List<TensorDescription> Tensors);

    private static ModelDescription ParseModelSection(ReadOnlySpan<byte> payload, string context)
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
                    if (!double.IsFinite(step) || step <= 0) throw r.Fail($"tensor '{name}' has step {step}; it must be finite and positive");
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

    private static RawTensor ParseRaw(ReadOnlySpan<byte> payload, TensorDescription d, string context)
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

    private static QuantizedTensor ParseLevels(ReadOnlySpan<byte> payload, TensorDescription d, string context)
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
        for (int i = 0; i < levels.Length; i++)
        {
            if (levels[i] < d.MinLevel || levels[i] > maxLevel)
                throw new InvalidDataException(
                    $"{context}: decoded level {levels[i]} at element {i} is outside the {d.BitWidth}-bit codebook [{d.MinLevel}, {maxLevel}] (corrupt stream).");
        }
        return new QuantizedTensor(d.Name, d.Shape, levels, d.Step, d.BitWidth, d.MinLevel, patches);
    }
}
