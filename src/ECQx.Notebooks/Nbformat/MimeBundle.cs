using System.Text.Json.Nodes;

namespace ECQx.Notebooks.Nbformat;

/// <summary>
/// One displayed value in several representations, keyed by MIME type (nbformat's <c>data</c> object).
/// Text types are stored as nbformat multi-line strings; JSON types (<c>application/json</c>,
/// <c>application/*+json</c>) as JSON objects.
/// </summary>
public sealed class MimeBundle
{
    private readonly List<KeyValuePair<string, JsonNode>> _entries = [];

    /// <summary>The MIME types in the bundle, in insertion order.</summary>
    public IEnumerable<string> MimeTypes => _entries.Select(e => e.Key);

    /// <summary>Adds (or replaces) a text representation.</summary>
    public MimeBundle SetText(string mimeType, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsJsonMime(mimeType)) throw new ArgumentException($"'{mimeType}' is a JSON MIME type; use SetJson.", nameof(mimeType));
        return Set(mimeType, NotebookDocument.LinesArray(text));
    }

    /// <summary>Adds (or replaces) a JSON representation (the MIME type must be JSON).</summary>
    public MimeBundle SetJson(string mimeType, JsonNode json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!IsJsonMime(mimeType)) throw new ArgumentException($"'{mimeType}' is not a JSON MIME type; use SetText.", nameof(mimeType));
        return Set(mimeType, json);
    }

    /// <summary>The text of a text representation, or null when the bundle has none of that type.</summary>
    public string? GetText(string mimeType) =>
        _entries.FirstOrDefault(e => e.Key == mimeType).Value is JsonArray lines ? string.Concat(lines.Select(l => l!.GetValue<string>())) : null;

    /// <summary>The JSON of a JSON representation, or null.</summary>
    public JsonNode? GetJson(string mimeType) => IsJsonMime(mimeType) ? _entries.FirstOrDefault(e => e.Key == mimeType).Value : null;

    /// <summary>The nbformat <c>data</c> object.</summary>
    public JsonObject ToJson()
    {
        var data = new JsonObject();
        foreach (var (mime, value) in _entries) data[mime] = value.DeepClone();
        return data;
    }

    /// <summary>
    /// The <c>data</c> object of a Jupyter message (<c>display_data</c>, <c>execute_result</c>): like
    /// <see cref="ToJson"/>, but text representations are single strings, as the messaging protocol has them.
    /// </summary>
    public JsonObject ToMessageJson()
    {
        var data = new JsonObject();
        foreach (var (mime, value) in _entries)
            data[mime] = value is JsonArray && !IsJsonMime(mime) ? JsonValue.Create(GetText(mime)) : value.DeepClone();
        return data;
    }

    /// <summary>True for <c>application/json</c> and <c>application/…+json</c>, whose nbformat value is JSON rather than text.</summary>
    public static bool IsJsonMime(string mimeType) =>
        mimeType == "application/json" || (mimeType.StartsWith("application/", StringComparison.Ordinal) && mimeType.EndsWith("+json", StringComparison.Ordinal));

    private MimeBundle Set(string mimeType, JsonNode value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mimeType);
        _entries.RemoveAll(e => e.Key == mimeType);
        _entries.Add(new(mimeType, value));
        return this;
    }
}
