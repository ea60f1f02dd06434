using System.Text.Json;
using System.Text.RegularExpressions;

namespace ECQx.Tests.Notebooks;

/// <summary>
/// An independent check of the nbformat 4 JSON schema rules (v4.0–4.5) that matter for the runner's files:
/// required fields and their types, the closed property sets of cells and outputs, MIME bundles, and
/// cell ids from 4.5 on. Returns every violation as "path: problem".
/// </summary>
internal static partial class NbformatValidator
{
    [GeneratedRegex("^[a-zA-Z0-9-_]+$")]
    private static partial Regex CellId();

    [GeneratedRegex(@"^application/(.*\+)?json$")]
    private static partial Regex JsonMime();

    internal static List<string> Validate(string json)
    {
        var errors = new List<string>();
        using var doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return ["/: not an object"];
        Closed(root, "/", ["metadata", "nbformat_minor", "nbformat", "cells"], ["metadata", "nbformat_minor", "nbformat", "cells"], errors);
        if (root.TryGetProperty("nbformat", out var major) && !(major.ValueKind == JsonValueKind.Number && major.GetInt32() == 4))
            errors.Add("/nbformat: must be 4");
        int minor = root.TryGetProperty("nbformat_minor", out var mn) && mn.ValueKind == JsonValueKind.Number && mn.GetInt32() >= 0 ? mn.GetInt32() : -1;
        if (minor < 0) errors.Add("/nbformat_minor: must be an integer >= 0");
        if (root.TryGetProperty("metadata", out var meta))
        {
            if (meta.ValueKind != JsonValueKind.Object) errors.Add("/metadata: not an object");
            else
            {
                if (meta.TryGetProperty("kernelspec", out var ks))
                    foreach (string f in new[] { "name", "display_name" })
                        if (!(ks.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String)) errors.Add($"/metadata/kernelspec/{f}: required string");
                if (meta.TryGetProperty("language_info", out var li) && !(li.TryGetProperty("name", out var ln) && ln.ValueKind == JsonValueKind.String))
                    errors.Add("/metadata/language_info/name: required string");
            }
        }
        if (!root.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array) return errors;
        var ids = new HashSet<string>();
        int i = 0;
        foreach (JsonElement cell in cells.EnumerateArray())
        {
            string p = $"/cells/{i++}";
            if (cell.ValueKind != JsonValueKind.Object) { errors.Add($"{p}: not an object"); continue; }
            string? type = cell.TryGetProperty("cell_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var required = new List<string> { "cell_type", "metadata", "source" };
            if (minor >= 5) required.Add("id");
            switch (type)
            {
                case "code":
                    required.AddRange(["outputs", "execution_count"]);
                    Closed(cell, p, ["id", "cell_type", "metadata", "source", "outputs", "execution_count"], required, errors);
                    if (cell.TryGetProperty("execution_count", out var ec)) CountOrNull(ec, $"{p}/execution_count", errors);
                    if (cell.TryGetProperty("outputs", out var outs))
                    {
                        if (outs.ValueKind != JsonValueKind.Array) errors.Add($"{p}/outputs: not an array");
                        else
                        {
                            int j = 0;
                            foreach (JsonElement o in outs.EnumerateArray()) Output(o, $"{p}/outputs/{j++}", errors);
                        }
                    }
                    break;
                case "markdown" or "raw":
                    Closed(cell, p, ["id", "cell_type", "metadata", "attachments", "source"], required, errors);
                    break;
                default:
                    errors.Add($"{p}/cell_type: '{type}' is not code, markdown or raw");
                    continue;
            }
            if (cell.TryGetProperty("metadata", out var cm) && cm.ValueKind != JsonValueKind.Object) errors.Add($"{p}/metadata: not an object");
            if (cell.TryGetProperty("source", out var src)) MultilineString(src, $"{p}/source", errors);
            if (cell.TryGetProperty("id", out var id))
            {
                string? s = id.ValueKind == JsonValueKind.String ? id.GetString() : null;
                if (s is null || s.Length is < 1 or > 64 || !CellId().IsMatch(s)) errors.Add($"{p}/id: '{id}' is not a valid cell id");
                else if (!ids.Add(s)) errors.Add($"{p}/id: '{s}' is not unique");
            }
        }
        return errors;
    }

    private static void Output(JsonElement o, string p, List<string> errors)
    {
        if (o.ValueKind != JsonValueKind.Object) { errors.Add($"{p}: not an object"); return; }
        string? type = o.TryGetProperty("output_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        switch (type)
        {
            case "execute_result":
                Closed(o, p, ["output_type", "execution_count", "data", "metadata"], ["output_type", "execution_count", "data", "metadata"], errors);
                if (o.TryGetProperty("execution_count", out var ec)) CountOrNull(ec, $"{p}/execution_count", errors);
                MimeBundleAndMetadata(o, p, errors);
                break;
            case "display_data":
                Closed(o, p, ["output_type", "data", "metadata", "transient"], ["output_type", "data", "metadata"], errors);
                MimeBundleAndMetadata(o, p, errors);
                break;
            case "stream":
                Closed(o, p, ["output_type", "name", "text"], ["output_type", "name", "text"], errors);
                if (o.TryGetProperty("name", out var n) && n.ValueKind != JsonValueKind.String) errors.Add($"{p}/name: not a string");
                if (o.TryGetProperty("text", out var text)) MultilineString(text, $"{p}/text", errors);
                break;
            case "error":
                Closed(o, p, ["output_type", "ename", "evalue", "traceback"], ["output_type", "ename", "evalue", "traceback"], errors);
                foreach (string f in new[] { "ename", "evalue" })
                    if (o.TryGetProperty(f, out var v) && v.ValueKind != JsonValueKind.String) errors.Add($"{p}/{f}: not a string");
                if (o.TryGetProperty("traceback", out var tb) &&
                    (tb.ValueKind != JsonValueKind.Array || tb.EnumerateArray().Any(l => l.ValueKind != JsonValueKind.String)))
                    errors.Add($"{p}/traceback: not an array of strings");
                break;
            default:
                errors.Add($"{p}/output_type: '{type}' is not a known output type");
                break;
        }
    }

    private static void MimeBundleAndMetadata(JsonElement o, string p, List<string> errors)
    {
        if (o.TryGetProperty("metadata", out var m) && m.ValueKind != JsonValueKind.Object) errors.Add($"{p}/metadata: not an object");
        if (!o.TryGetProperty("data", out var data)) return;
        if (data.ValueKind != JsonValueKind.Object) { errors.Add($"{p}/data: not an object"); return; }
        foreach (JsonProperty mime in data.EnumerateObject())
            if (!JsonMime().IsMatch(mime.Name)) MultilineString(mime.Value, $"{p}/data/{mime.Name}", errors);
    }

    private static void Closed(JsonElement obj, string p, string[] allowed, IEnumerable<string> required, List<string> errors)
    {
        foreach (JsonProperty prop in obj.EnumerateObject())
            if (!allowed.Contains(prop.Name)) errors.Add($"{p}/{prop.Name}: property not allowed here");
        foreach (string r in required)
            if (!obj.TryGetProperty(r, out _)) errors.Add($"{p}/{r}: required");
    }

    private static void CountOrNull(JsonElement e, string p, List<string> errors)
    {
        if (e.ValueKind == JsonValueKind.Null) return;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int n) || n < 0) errors.Add($"{p}: must be null or an integer >= 0");
    }

    private static void MultilineString(JsonElement e, string p, List<string> errors)
    {
        bool ok = e.ValueKind == JsonValueKind.String
                  || (e.ValueKind == JsonValueKind.Array && e.EnumerateArray().All(l => l.ValueKind == JsonValueKind.String));
        if (!ok) errors.Add($"{p}: not a string or an array of strings");
    }
}
