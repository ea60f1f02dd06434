using System.Text.Json.Nodes;

namespace ECQx.Notebooks.Nbformat;

/// <summary>Builders for the four nbformat 4 output objects.</summary>
public static class Outputs
{
    /// <summary>A <c>stream</c> output (<paramref name="name"/> is <c>stdout</c> or <c>stderr</c>).</summary>
    public static JsonObject Stream(string name, string text)
    {
        if (name is not ("stdout" or "stderr")) throw new ArgumentException($"Stream name '{name}' must be stdout or stderr.", nameof(name));
        return new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = NotebookDocument.LinesArray(text) };
    }

    /// <summary>A <c>display_data</c> output.</summary>
    public static JsonObject DisplayData(MimeBundle bundle) =>
        new() { ["output_type"] = "display_data", ["data"] = bundle.ToJson(), ["metadata"] = new JsonObject() };

    /// <summary>An <c>execute_result</c> output (the cell's value) with the cell's execution count.</summary>
    public static JsonObject ExecuteResult(MimeBundle bundle, int executionCount) =>
        new()
        {
            ["output_type"] = "execute_result",
            ["execution_count"] = executionCount,
            ["data"] = bundle.ToJson(),
            ["metadata"] = new JsonObject(),
        };

    /// <summary>An <c>error</c> output.</summary>
    public static JsonObject Error(string errorName, string errorValue, IEnumerable<string> traceback) =>
        new()
        {
            ["output_type"] = "error",
            ["ename"] = errorName,
            ["evalue"] = errorValue,
            ["traceback"] = new JsonArray(traceback.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
        };
}
