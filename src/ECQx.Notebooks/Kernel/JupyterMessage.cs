using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// One message of the Jupyter messaging protocol (5.3): the routing identities, header, parent header,
/// metadata, content and extra buffers, and its wire form
/// <c>[identities…, "&lt;IDS|MSG&gt;", signature, header, parent_header, metadata, content, buffers…]</c>.
/// </summary>
public sealed class JupyterMessage
{
    /// <summary>The delimiter frame between routing identities and the signed message.</summary>
    public const string Delimiter = "<IDS|MSG>";

    /// <summary>The protocol version the kernel speaks.</summary>
    public const string ProtocolVersion = "5.3";

    /// <summary>ZeroMQ routing identities of the sender (replies go back with them).</summary>
    public IReadOnlyList<byte[]> Identities { get; init; } = [];

    /// <summary>The header (<c>msg_id</c>, <c>session</c>, <c>username</c>, <c>date</c>, <c>msg_type</c>, <c>version</c>).</summary>
    public required JsonObject Header { get; init; }

    /// <summary>The header of the request this message answers (empty for a request).</summary>
    public JsonObject ParentHeader { get; init; } = [];

    /// <summary>Message metadata.</summary>
    public JsonObject Metadata { get; init; } = [];

    /// <summary>The message content.</summary>
    public JsonObject Content { get; init; } = [];

    /// <summary>Extra binary buffers.</summary>
    public IReadOnlyList<byte[]> Buffers { get; init; } = [];

    /// <summary>The signature frame as received (empty for a message built here, or when signing is off).</summary>
    public string Signature { get; init; } = "";

    /// <summary>The header's <c>msg_type</c> (empty when it is absent or not a string; <see cref="Parse"/> refuses such messages).</summary>
    public string MessageType => HeaderText("msg_type");

    /// <summary>The header's <c>session</c> (empty when it is absent or not a string).</summary>
    public string Session => HeaderText("session");

    private string HeaderText(string field) => Header[field] is JsonValue value && value.TryGetValue(out string? text) ? text : "";

    /// <summary>A new header for a message of <paramref name="messageType"/> sent in the kernel's <paramref name="session"/>.</summary>
    public static JsonObject NewHeader(string messageType, string session) => new()
    {
        ["msg_id"] = Guid.NewGuid().ToString("N"),
        ["session"] = session,
        ["username"] = "kernel",
        ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        ["msg_type"] = messageType,
        ["version"] = ProtocolVersion,
    };

    /// <summary>The frames to send, signed with <paramref name="signer"/>.</summary>
    public List<byte[]> ToFrames(MessageSigner signer)
    {
        byte[][] parts = [Utf8(Header), Utf8(ParentHeader), Utf8(Metadata), Utf8(Content)];
        var frames = new List<byte[]>(Identities.Count + 6 + Buffers.Count);
        frames.AddRange(Identities);
        frames.Add(Encoding.ASCII.GetBytes(Delimiter));
        frames.Add(Encoding.ASCII.GetBytes(signer.Sign(parts)));
        frames.AddRange(parts);
        frames.AddRange(Buffers);
        return frames;
    }

    /// <summary>
    /// Parses received frames and checks the signature. Throws <see cref="InvalidDataException"/> saying
    /// what is wrong (no delimiter, missing parts, wrong or missing signature, a part that is not UTF-8 or not a
    /// JSON object, a header whose <c>msg_type</c> is missing or not a string).
    /// </summary>
    public static JupyterMessage Parse(IReadOnlyList<byte[]> frames, MessageSigner signer)
    {
        byte[] delimiter = Encoding.ASCII.GetBytes(Delimiter);
        int d = -1;
        for (int i = 0; i < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(delimiter)) { d = i; break; }
        if (d < 0) throw new InvalidDataException($"message of {frames.Count} frames has no '{Delimiter}' delimiter");
        if (frames.Count < d + 6) throw new InvalidDataException($"message has {frames.Count - d - 1} frames after the delimiter; signature, header, parent_header, metadata and content are required");
        byte[][] parts = [frames[d + 2], frames[d + 3], frames[d + 4], frames[d + 5]];
        string signature = Encoding.ASCII.GetString(frames[d + 1]);
        if (signer.Enabled && signature.Length == 0) throw new InvalidDataException("message is not signed");
        if (!signer.Verify(signature, parts)) throw new InvalidDataException("message signature does not match the connection key");
        JsonObject header = Object(parts[0], "header");
        // Checked here, once: every later reader of msg_type (dispatch, logging, error replies) can rely on a string.
        if (header["msg_type"] is not JsonValue type || !type.TryGetValue(out string? _))
            throw new InvalidDataException($"message header field 'msg_type' must be a string, not {Shown(header["msg_type"])}");
        return new JupyterMessage
        {
            Identities = frames.Take(d).ToList(),
            Signature = signature,
            Header = header,
            ParentHeader = Object(parts[1], "parent_header"),
            Metadata = Object(parts[2], "metadata"),
            Content = Object(parts[3], "content"),
            Buffers = frames.Skip(d + 6).ToList(),
        };
    }

    private static byte[] Utf8(JsonObject json) => Encoding.UTF8.GetBytes(json.ToJsonString());

    private static JsonObject Object(byte[] bytes, string part)
    {
        // System.Text.Json decodes string values lazily: invalid UTF-8 would otherwise surface later, wherever a field is read.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new InvalidDataException($"message {part} is not valid UTF-8");
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw new InvalidDataException($"message {part} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"message {part} is not valid JSON: {e.Message}");
        }
    }

    private static string Shown(JsonNode? value)
    {
        if (value is null) return "missing";
        string json = value.ToJsonString();
        return $"{value.GetValueKind()} {(json.Length > 60 ? json[..60] + "…" : json)}";
    }
}
