using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ECQx.Coding.Nnr;

/// <summary>What the note says about one tensor (by its position among the data units); null fields take the defaults.</summary>
/// <param name="DType">The tensor's dtype when it is not the payload's own (int32 for NNR_PT_INT, float32 for raw floats).</param>
/// <param name="Shape">The shape when it differs from the unit's dimensions (a scalar is carried as [1]).</param>
/// <param name="Step">For a quantized tensor: its grid step Δ.</param>
/// <param name="BitWidth">For a quantized tensor: its codebook bit width.</param>
/// <param name="MinLevel">For a quantized tensor: its codebook's lowest level.</param>
/// <param name="Patches">For a quantized tensor: exact values of elements the grid formula does not reproduce.</param>
internal sealed record NnrTensorNote(EcqxDType? DType, long[]? Shape, double? Step, int? BitWidth, int? MinLevel, ValuePatch[]? Patches);

/// <summary>
/// The ecqx note: what an .ecqx model holds beyond NNR's data units (step sizes and codebooks of quantized tensors,
/// original dtypes and scalar shapes, the model metadata) plus a CRC-32 of the data units. It is the
/// <c>topology_data</c> string of an <c>NNR_TPL</c> unit with <c>topology_storage_format = NNR_TPL_UNREC</c> (0,
/// "unrecognised"), which NNR decoders such as NNCodec read and ignore. Text: <c>ecqx-nnr/1 </c>, the CRC-32 of the rest
/// after it (8 hex digits) and a space, then JSON; or <c>ecqx-nnr/1z </c>, CRC and space, then Base64 of the
/// raw-Deflated JSON, when that is shorter.
/// </summary>
internal sealed record NnrEcqxNote(uint DataUnitsCrc32, IReadOnlyDictionary<string, string> Metadata, IReadOnlyDictionary<int, NnrTensorNote> Tensors)
{
    private const string PlainPrefix = "ecqx-nnr/1 ";
    private const string DeflatedPrefix = "ecqx-nnr/1z ";
    private const int MaxInflatedBytes = 1 << 26;

    /// <summary>Whether a topology string is an ecqx note (of any version).</summary>
    internal static bool IsNote(string text) => text.StartsWith("ecqx-nnr/", StringComparison.Ordinal);

    /// <summary>The note as <c>topology_data</c> text.</summary>
    internal string ToText()
    {
        var tensors = new JsonObject();
        foreach (var (index, t) in Tensors.OrderBy(kv => kv.Key))
        {
            var o = new JsonObject();
            if (t.DType is { } dtype) o["dtype"] = (int)dtype;
            if (t.Shape is { } shape) o["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray());
            if (t.Step is { } step) o["step"] = step;
            if (t.BitWidth is { } bits) o["bits"] = bits;
            if (t.MinLevel is { } min) o["min"] = min;
            if (t.Patches is { Length: > 0 } patches)
                o["patches"] = new JsonArray(patches.Select(p => (JsonNode)new JsonArray(p.Index, BitConverter.SingleToUInt32Bits(p.Value))).ToArray());
            tensors[index.ToString(System.Globalization.CultureInfo.InvariantCulture)] = o;
        }
        var metadata = new JsonObject();
        foreach (var (k, v) in Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) metadata[k] = v;
        string json = new JsonObject { ["crc32"] = DataUnitsCrc32, ["metadata"] = metadata, ["tensors"] = tensors }.ToJsonString();
        byte[] utf8 = Encoding.UTF8.GetBytes(json);
        using var packed = new MemoryStream();
        using (var deflate = new DeflateStream(packed, CompressionLevel.SmallestSize, leaveOpen: true)) deflate.Write(utf8);
        string base64 = Convert.ToBase64String(packed.ToArray());
        return base64.Length < utf8.Length ? DeflatedPrefix + Checked(base64) : PlainPrefix + Checked(json);
    }

    /// <summary>Parses a note; <paramref name="fail"/> builds the error for a malformed one.</summary>
    internal static NnrEcqxNote Parse(string text, Func<string, InvalidDataException> fail)
    {
        string json;
        if (text.StartsWith(PlainPrefix, StringComparison.Ordinal)) json = Verified(text[PlainPrefix.Length..], fail);
        else if (text.StartsWith(DeflatedPrefix, StringComparison.Ordinal)) json = Inflate(Verified(text[DeflatedPrefix.Length..], fail), fail);
        else throw fail($"unknown ecqx note version '{text[..Math.Min(text.Length, 16)]}'");
        try
        {
            var root = JsonNode.Parse(json)?.AsObject() ?? throw fail("the note is not a JSON object");
            uint crc = root["crc32"]?.GetValue<uint>() ?? throw fail("the note has no crc32");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in root["metadata"]?.AsObject() ?? [])
                metadata[k] = v?.GetValue<string>() ?? throw fail($"metadata '{k}' is null");
            var tensors = new Dictionary<int, NnrTensorNote>();
            foreach (var (k, v) in root["tensors"]?.AsObject() ?? [])
            {
                if (!int.TryParse(k, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
                    throw fail($"tensor key '{k}' is not an index");
                var o = v?.AsObject() ?? throw fail($"tensor {k} is null");
                EcqxDType? dtype = o["dtype"] is { } d ? (EcqxDType)d.GetValue<int>() : null;
                if (dtype is { } dt && !EcqxDTypes.IsDefined(dt)) throw fail($"tensor {k}: unknown dtype {(int)dt}");
                long[]? shape = o["shape"]?.AsArray().Select(x => x?.GetValue<long>() ?? throw fail($"tensor {k}: null dimension")).ToArray();
                ValuePatch[]? patches = o["patches"]?.AsArray().Select(p => p is JsonArray { Count: 2 } pair
                    ? new ValuePatch(pair[0]!.GetValue<int>(), BitConverter.UInt32BitsToSingle(pair[1]!.GetValue<uint>()))
                    : throw fail($"tensor {k}: a patch is not [index, bits]")).ToArray();
                tensors[index] = new NnrTensorNote(dtype, shape, o["step"]?.GetValue<double>(), o["bits"]?.GetValue<int>(), o["min"]?.GetValue<int>(), patches);
            }
            return new NnrEcqxNote(crc, metadata, tensors);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or NullReferenceException)
        {
            throw fail($"the note's JSON is malformed ({e.Message})");
        }
    }

    /// <summary><paramref name="body"/> preceded by the 8 hex digits of its UTF-8 CRC-32 and a space.</summary>
    private static string Checked(string body) =>
        ECQx.IO.Crc32.Compute(Encoding.UTF8.GetBytes(body)).ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + " " + body;

    private static string Verified(string checkedBody, Func<string, InvalidDataException> fail)
    {
        if (checkedBody.Length < 9 || checkedBody[8] != ' ' ||
            !uint.TryParse(checkedBody.AsSpan(0, 8), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out uint expected))
            throw fail("the note does not start with its CRC-32 (8 hex digits and a space)");
        string body = checkedBody[9..];
        uint actual = ECQx.IO.Crc32.Compute(Encoding.UTF8.GetBytes(body));
        if (actual != expected) throw fail($"the note's CRC-32 is {actual:x8}, it says {expected:x8}: the note is damaged");
        return body;
    }

    private static string Inflate(string base64, Func<string, InvalidDataException> fail)
    {
        byte[] packed;
        try { packed = Convert.FromBase64String(base64); }
        catch (FormatException) { throw fail("the deflated note is not valid Base64"); }
        using var inflate = new DeflateStream(new MemoryStream(packed), CompressionMode.Decompress);
        using var text = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            int n;
            try { n = inflate.Read(buffer); }
            catch (InvalidDataException e) { throw fail($"the deflated note does not inflate ({e.Message})"); }
            if (n == 0) break;
            if (text.Length + n > MaxInflatedBytes) throw fail($"the deflated note inflates beyond {MaxInflatedBytes} bytes");
            text.Write(buffer, 0, n);
        }
        try { return new UTF8Encoding(false, true).GetString(text.ToArray()); }
        catch (DecoderFallbackException) { throw fail("the inflated note is not valid UTF-8"); }
    }
}
