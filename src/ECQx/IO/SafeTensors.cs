using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace ECQx.IO;

/// <summary>
/// Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header of
/// <c>name → {dtype, shape, data_offsets}</c> plus optional <c>__metadata__</c>, then the raw little-endian
/// data). Files are treated as untrusted: every offset, size and shape is checked before use, and a
/// malformed file raises an <see cref="InvalidDataException"/> that names the file and the problem.
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest JSON header accepted (the reference implementation's limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Loads every tensor of a safetensors file onto <paramref name="device"/> (CPU when null).</summary>
    public static SafeTensorsDocument Load(string path, torch.Device? device = null)
    {
        TorchRuntime.EnsureLoaded();
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        byte[] file = File.ReadAllBytes(path);
        return Parse(file, path, device);
    }

    /// <summary>Parses safetensors bytes; <paramref name="sourceName"/> is used in error messages.</summary>
    public static SafeTensorsDocument Parse(ReadOnlySpan<byte> file, string sourceName, torch.Device? device = null)
    {
        TorchRuntime.EnsureLoaded();
        if (file.Length < 8) throw Bad(sourceName, $"file is {file.Length} bytes, shorter than the 8-byte header length");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLen > (ulong)(file.Length - 8))
            throw Bad(sourceName, $"header length {headerLen} exceeds the {file.Length - 8} bytes after it (truncated file?)");
        if ((long)headerLen > MaxHeaderBytes) throw Bad(sourceName, $"header length {headerLen} exceeds the {MaxHeaderBytes}-byte limit");
        var headerBytes = file.Slice(8, (int)headerLen);
        var data = file[(8 + (int)headerLen)..];

        if (!System.Text.Unicode.Utf8.IsValid(headerBytes)) throw Bad(sourceName, "header is not valid UTF-8");
        JsonDocument json;
        try { json = JsonDocument.Parse(headerBytes.ToArray()); }
        catch (JsonException e) { throw Bad(sourceName, "header is not valid JSON: " + e.Message); }

        var entries = new List<(string Name, torch.ScalarType Type, long[] Shape, long Begin, long End)>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using (json)
        try
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw Bad(sourceName, "header is not a JSON object");
            foreach (var prop in json.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad(sourceName, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw Bad(sourceName, $"__metadata__ value of '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(prop, data.Length, sourceName));
            }
        }
        catch (InvalidOperationException e)
        {
            // e.g. a string escape that is not a valid UTF-16 sequence (a lone surrogate)
            throw Bad(sourceName, "header holds an undecodable string: " + e.Message);
        }

        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < entries.Count; i++)
            if (entries[i].Begin < entries[i - 1].End)
                throw Bad(sourceName, $"tensors '{entries[i - 1].Name}' and '{entries[i].Name}' overlap in the data buffer");
        // The format requires the data buffer to be indexed entirely, without holes (as the reference reader checks):
        // bytes no tensor owns are damage (a truncated header entry, appended garbage).
        long covered = 0;
        foreach (var e in entries)
        {
            if (e.Begin != covered) throw Bad(sourceName, $"bytes {covered}..{e.Begin} of the data buffer belong to no tensor (before '{e.Name}')");
            covered = e.End;
        }
        if (covered != data.Length) throw Bad(sourceName, $"{data.Length - covered} trailing byte(s) after the last tensor's data");

        var tensors = new TensorDictionary();
        try
        {
            foreach (var e in entries)
            {
                if (tensors.ContainsKey(e.Name)) throw Bad(sourceName, $"tensor '{e.Name}' appears twice in the header");
                var t = torch.empty(e.Shape, e.Type);
                if (e.End > e.Begin)
                {
                    var src = data.Slice((int)e.Begin, (int)(e.End - e.Begin));
                    if (!BitConverter.IsLittleEndian)
                        throw new PlatformNotSupportedException("safetensors loading needs a little-endian machine");
                    t.bytes = src.ToArray();
                }
                tensors.Add(e.Name, device is null || device.type == DeviceType.CPU ? t : MoveAndDispose(t, device));
            }
        }
        catch
        {
            tensors.Dispose();
            throw;
        }
        return new SafeTensorsDocument(tensors, metadata);
    }

    private static torch.Tensor MoveAndDispose(torch.Tensor t, torch.Device device)
    {
        var moved = t.to(device);
        t.Dispose();
        return moved;
    }

    private static (string, torch.ScalarType, long[], long, long) ParseEntry(JsonProperty prop, int dataLength, string source)
    {
        string name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad(source, $"entry '{name}' is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(source, $"tensor '{name}' has no string dtype");
        string dtype = dt.GetString()!;
        if (!SafeTensorDType.TryParse(dtype, out var type, out int size))
            throw Bad(source, $"tensor '{name}' has unsupported dtype '{dtype}'");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad(source, $"tensor '{name}' has no shape array");
        var shape = new long[sh.GetArrayLength()];
        long numel = 1;
        int k = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw Bad(source, $"tensor '{name}' has an invalid dimension {d}");
            shape[k++] = dim;
            numel = dim == 0 ? 0 : (numel > long.MaxValue / dim ? throw Bad(source, $"tensor '{name}' shape overflows") : numel * dim);
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(source, $"tensor '{name}' has no [begin, end] data_offsets");
        var o = off.EnumerateArray().ToArray();
        if (!o[0].TryGetInt64(out long begin) || !o[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad(source, $"tensor '{name}' has invalid data_offsets [{o[0]}, {o[1]}]");
        if (end > dataLength)
            throw Bad(source, $"tensor '{name}' data_offsets end {end} is past the {dataLength}-byte data buffer (truncated file?)");
        if (numel > long.MaxValue / size || end - begin != numel * size)
            throw Bad(source, $"tensor '{name}' of dtype {dtype} and shape [{string.Join(", ", shape)}] needs {numel * size} bytes but data_offsets give {end - begin}");
        return (name, type, shape, begin, end);
    }

    /// <summary>
    /// Writes named tensors (moved to CPU, made contiguous) and optional string metadata to a safetensors
    /// file, atomically. Tensor data is laid out in the order given.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        TorchRuntime.EnsureLoaded();
        var items = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in items)
        {
            if (string.IsNullOrEmpty(name) || name == "__metadata__") throw new ArgumentException($"invalid tensor name '{name}'");
            if (!seen.Add(name)) throw new ArgumentException($"tensor name '{name}' appears twice");
        }

        // The header first, from shapes and element sizes; then each tensor's bytes straight from its (CPU, contiguous)
        // storage, one tensor at a time: the file is never held in managed memory (a VGG16 checkpoint is ≈ 0.4 GB).
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in items)
            {
                long length = tensor.numel() * tensor.ElementSize;
                w.WriteStartObject(name);
                w.WriteString("dtype", SafeTensorDType.NameOf(tensor.dtype));
                w.WriteStartArray("shape");
                foreach (long d in tensor.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += length;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces to an 8-byte boundary, as the reference writer does.
        int pad = (int)((8 - header.Length % 8) % 8);
        for (int i = 0; i < pad; i++) header.WriteByte((byte)' ');
        byte[] headerBytes = header.ToArray();

        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
            s.Write(len);
            s.Write(headerBytes);
            foreach (var (name, tensor) in items)
            {
                using var cpu = tensor.detach().cpu().contiguous();
                if (cpu.numel() == 0) continue;
                var bytes = cpu.bytes;
                if (bytes.Length != cpu.numel() * cpu.ElementSize)
                    throw new InvalidOperationException($"tensor '{name}': {bytes.Length} bytes of storage for {cpu.numel()} elements of {cpu.ElementSize} bytes");
                s.Write(bytes);
            }
        });
    }

    private static InvalidDataException Bad(string source, string what) =>
        new($"{source}: malformed safetensors file: {what}");
}
