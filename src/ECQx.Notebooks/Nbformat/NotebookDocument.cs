using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ECQx.IO;

namespace ECQx.Notebooks.Nbformat;

/// <summary>
/// A Jupyter notebook (nbformat 4) held as its JSON tree, so every field the runner does not touch
/// (metadata written by VS Code / Polyglot Notebooks, attachments, ids) survives a load–run–save cycle.
/// </summary>
public sealed class NotebookDocument
{
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private NotebookDocument(JsonObject root, string name)
    {
        Root = root;
        Name = name;
    }

    /// <summary>The whole notebook JSON.</summary>
    public JsonObject Root { get; }

    /// <summary>Where the notebook came from (file path or a label), used in error messages.</summary>
    public string Name { get; }

    /// <summary>The <c>nbformat_minor</c> version (cell ids are required from 4.5 on).</summary>
    public int FormatMinor => Root["nbformat_minor"]!.GetValue<int>();

    /// <summary>The cells array.</summary>
    public JsonArray Cells => (JsonArray)Root["cells"]!;

    /// <summary>The notebook-level metadata object (created when missing).</summary>
    public JsonObject Metadata => Root["metadata"] as JsonObject ?? (JsonObject)(Root["metadata"] = new JsonObject());

    /// <summary>Reads and checks a notebook file. Throws <see cref="InvalidDataException"/> naming the file when it is not nbformat 4 JSON.</summary>
    public static NotebookDocument Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Notebook '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path, Encoding.UTF8), path);
    }

    /// <summary>Parses and checks notebook JSON text; <paramref name="name"/> labels error messages.</summary>
    public static NotebookDocument Parse(string json, string name)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Notebook '{name}' is not valid JSON: {e.Message}", e);
        }
        if (node is not JsonObject root) throw new InvalidDataException($"Notebook '{name}': the top level is not a JSON object.");
        if (root["nbformat"] is not JsonValue major || !major.TryGetValue(out int nbformat))
            throw new InvalidDataException($"Notebook '{name}' has no integer 'nbformat' field; is it a Jupyter notebook?");
        if (nbformat != 4)
            throw new InvalidDataException($"Notebook '{name}' is nbformat {nbformat}; the runner reads nbformat 4 (open and save it in Jupyter or VS Code to upgrade).");
        if (root["nbformat_minor"] is not JsonValue minor || !minor.TryGetValue(out int _))
            throw new InvalidDataException($"Notebook '{name}' has no integer 'nbformat_minor' field.");
        if (root["cells"] is not JsonArray cells) throw new InvalidDataException($"Notebook '{name}' has no 'cells' array.");
        if (root["metadata"] is not JsonObject) root["metadata"] = new JsonObject();
        for (int i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell) throw new InvalidDataException($"Notebook '{name}', cell {i + 1}: not a JSON object.");
            string? type = cell["cell_type"] is JsonValue t && t.TryGetValue(out string? s) ? s : null;
            if (type is not ("code" or "markdown" or "raw"))
                throw new InvalidDataException($"Notebook '{name}', cell {i + 1}: cell_type is '{type ?? "missing"}'; expected code, markdown or raw.");
            if (cell["source"] is not (JsonValue or JsonArray))
                throw new InvalidDataException($"Notebook '{name}', cell {i + 1}: 'source' is missing or not text.");
            try { _ = SourceOf(cell); }
            catch (InvalidOperationException e) { throw new InvalidDataException($"Notebook '{name}', cell {i + 1}: 'source' is not a string or an array of strings.", e); }
            if (cell["metadata"] is not JsonObject) cell["metadata"] = new JsonObject();
        }
        return new NotebookDocument(root, name);
    }

    /// <summary>A new, empty nbformat 4.5 notebook with C# (Polyglot Notebooks) kernel metadata.</summary>
    public static NotebookDocument CreateEmpty(string name = "untitled")
    {
        var root = new JsonObject
        {
            ["cells"] = new JsonArray(),
            ["metadata"] = CSharpKernelMetadata(),
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        return new NotebookDocument(root, name);
    }

    /// <summary>Appends a cell (code or markdown) with the given source and tags; returns it.</summary>
    public JsonObject AddCell(string cellType, string source, params string[] tags)
    {
        var cell = NewCell(cellType, source, tags);
        if (FormatMinor >= 5) cell["id"] = UniqueCellId("cell");
        if (cellType != "code") cell.Remove("outputs");
        Cells.Add(cell);
        return cell;
    }

    /// <summary>A detached cell object (code cells get empty outputs and a null execution count).</summary>
    internal static JsonObject NewCell(string cellType, string source, IEnumerable<string> tags)
    {
        var metadata = new JsonObject();
        var tagList = tags.ToList();
        if (tagList.Count > 0) metadata["tags"] = new JsonArray(tagList.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        var cell = new JsonObject { ["cell_type"] = cellType, ["metadata"] = metadata, ["source"] = LinesArray(source) };
        if (cellType == "code")
        {
            cell["execution_count"] = null;
            cell["outputs"] = new JsonArray();
        }
        return cell;
    }

    /// <summary>A cell id (nbformat 4.5: 1–64 of [A-Za-z0-9-_]) not used by any cell yet, starting from <paramref name="stem"/>.</summary>
    internal string UniqueCellId(string stem)
    {
        var used = Cells.OfType<JsonObject>().Select(c => c["id"]?.GetValue<string>()).Where(s => s is not null).ToHashSet();
        if (!used.Contains(stem)) return stem;
        for (int i = 2; ; i++)
            if (!used.Contains($"{stem}-{i}")) return $"{stem}-{i}";
    }

    /// <summary>The cell's source as one string (nbformat allows a string or an array of lines).</summary>
    public static string SourceOf(JsonObject cell) => cell["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };

    /// <summary>The cell's type: code, markdown or raw.</summary>
    public static string TypeOf(JsonObject cell) => cell["cell_type"]!.GetValue<string>();

    /// <summary>The cell's <c>metadata.tags</c> (empty when there are none).</summary>
    public static IReadOnlyList<string> TagsOf(JsonObject cell) =>
        cell["metadata"]?["tags"] is JsonArray tags
            ? tags.Select(t => t is JsonValue v && v.TryGetValue(out string? s) ? s : null).OfType<string>().ToList()
            : [];

    /// <summary>Splits text into nbformat's multi-line form: an array of lines, each but the last keeping its newline.</summary>
    public static JsonArray LinesArray(string text)
    {
        var array = new JsonArray();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            array.Add(JsonValue.Create(text[start..(i + 1)]));
            start = i + 1;
        }
        if (start < text.Length) array.Add(JsonValue.Create(text[start..]));
        return array;
    }

    /// <summary>The notebook as nbformat JSON text (one-space indentation like Jupyter, trailing newline).</summary>
    public string ToJson() => Root.ToJsonString(WriteOptions) + "\n";

    /// <summary>Writes the notebook atomically to <paramref name="path"/> (creating its directory).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>A deep copy (so a run never changes the caller's document).</summary>
    public NotebookDocument Clone() => new((JsonObject)Root.DeepClone(), Name);

    /// <summary>Kernel metadata that makes VS Code's Polyglot Notebooks open the file with its C# kernel.</summary>
    internal static JsonObject CSharpKernelMetadata() => new()
    {
        ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
        ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
        ["polyglot_notebook"] = new JsonObject
        {
            ["kernelInfo"] = new JsonObject
            {
                ["defaultKernelName"] = "csharp",
                ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = "csharp" }),
            },
        },
    };
}
