using System.Text.Json.Nodes;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// Typed fields of a request's content. A field of the wrong JSON type is a malformed request: it raises
/// <see cref="InvalidDataException"/> naming the field and the value, which the kernel answers with an error reply
/// instead of failing on a socket or worker thread.
/// </summary>
internal static class RequestContent
{
    /// <summary>The string field <paramref name="name"/>, or <paramref name="fallback"/> when it is absent or null.</summary>
    public static string Text(JsonObject content, string name, string fallback = "") => content[name] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out string? s) => s,
        var other => throw Malformed(name, "a string", other),
    };

    /// <summary>The boolean field <paramref name="name"/>, or <paramref name="fallback"/> when it is absent or null.</summary>
    public static bool Flag(JsonObject content, string name, bool fallback) => content[name] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out bool b) => b,
        var other => throw Malformed(name, "true or false", other),
    };

    /// <summary>The integer field <paramref name="name"/>, or <paramref name="fallback"/> when it is absent or null.</summary>
    public static int Integer(JsonObject content, string name, int fallback) => content[name] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out int i) => i,
        var other => throw Malformed(name, "an integer", other),
    };

    private static InvalidDataException Malformed(string name, string expected, JsonNode value)
    {
        string shown = value.ToJsonString();
        return new InvalidDataException($"malformed request: '{name}' must be {expected}, not {(shown.Length > 80 ? shown[..80] + "…" : shown)}");
    }
}
