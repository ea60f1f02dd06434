using System.Buffers.Binary;
using System.Text;
using ECQx.IO;

namespace ECQx.Coding;

/// <summary>
/// Reads and writes the .ecqx model container (format 1.0, documented in docs/ecqx-file-format.md).
/// A file is a 16-byte header (magic, version, header CRC-32) followed by CRC-protected sections:
/// <c>MODL</c> (metadata and tensor descriptions, optionally Deflate-compressed), one <c>LVLS</c> section of
/// coded levels per quantized tensor, one <c>RAWS</c> section with the data of all other tensors, and
/// <c>ENDS</c>. Readers treat the file as hostile: every count and size is checked against the bytes that
/// are actually there before anything is allocated, and every problem raises an
/// <see cref="InvalidDataException"/> naming the file and section.
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

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically (nothing is written when cancelled).</summary>
    public static void Write(string path, EcqxModel model, EcqxWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        byte[] bytes = Serialize(model, options, cancellationToken);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>
    /// The bytes of the .ecqx file for <paramref name="model"/>. <paramref name="cancellationToken"/> stops the
    /// coding of the tensors (checked before each tensor) with <see cref="OperationCanceledException"/>.
    /// </summary>
    public static byte[] Serialize(EcqxModel model, EcqxWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= EcqxWriteOptions.Default;
        options.Coder.Validate();

        var storage = model.Tensors.Select(t => StorageOf(t, options)).ToArray();
        var streams = new byte[model.Tensors.Count][];
        Parallel.For(0, model.Tensors.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            if (model.Tensors[i] is QuantizedTensor q) streams[i] = LevelCoder.Encode(q.Levels.Span, options.Coder);
        });

        var file = new FieldWriter();
        file.Bytes(Magic);
        file.UInt16(MajorVersion);
        file.UInt16(MinorVersion);
        file.UInt32(Crc32.Compute(file.Written));

        WriteSection(file, TagModel, EcqxModelSection.Write(model, storage));
        var raw = new FieldWriter();
        for (int i = 0; i < model.Tensors.Count; i++)
        {
            switch (model.Tensors[i])
            {
                case QuantizedTensor q:
                    var payload = new FieldWriter();
                    EcqxDataSections.WritePatches(payload, q.Patches);
                    payload.Bytes(streams[i]);
                    WriteSection(file, TagLevels, payload);
                    break;
                case RawTensor r when storage[i] == EcqxStorage.Float16:
                    raw.Bytes(EcqxDataSections.ToFloat16(r));
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
        var description = EcqxModelSection.Parse(modelSection, $"{sourceName}: section MODL");

        var tensors = new EcqxTensor[description.Tensors.Count];
        var storage = new EcqxTensorStorage[description.Tensors.Count];
        for (int i = 0; i < tensors.Length; i++)
        {
            var d = description.Tensors[i];
            if (d.Storage != EcqxStorage.Levels) continue;
            var payload = NextSection(file, ref position, sourceName, TagLevels, d.Name);
            tensors[i] = EcqxDataSections.ParseLevels(payload, d, $"{sourceName}: section LVLS of tensor '{d.Name}'");
            storage[i] = new EcqxTensorStorage(d.Name, d.Storage, payload.Length);
        }
        var rawSection = NextSection(file, ref position, sourceName, TagRaw);
        long expectedRaw = description.Tensors.Where(d => d.Storage != EcqxStorage.Levels).Sum(d => (long)d.ElementCount * EcqxDataSections.StoredElementSize(d));
        if (rawSection.Length != expectedRaw)
            throw new InvalidDataException(
                $"{sourceName}: section RAWS has {rawSection.Length} bytes, but the raw tensors described in MODL need {expectedRaw}.");
        int rawOffset = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            var d = description.Tensors[i];
            if (d.Storage == EcqxStorage.Levels) continue;
            int length = d.ElementCount * EcqxDataSections.StoredElementSize(d);
            tensors[i] = EcqxDataSections.ParseRaw(rawSection.Slice(rawOffset, length), d, $"{sourceName}: section RAWS, tensor '{d.Name}'");
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

}
