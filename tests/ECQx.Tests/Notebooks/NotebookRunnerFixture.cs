using System.Text.Json.Nodes;
using ECQx.Notebooks;
using ECQx.Notebooks.Nbformat;
using ECQx.Notebooks.Scripting;
using Xunit;

namespace ECQx.Tests.Notebooks;

/// <summary>One warm runner and a scratch folder shared by the notebook tests (Roslyn's first compile is the slow part).</summary>
public sealed class NotebookRunnerFixture : IDisposable
{
    public NotebookRunner Runner { get; } = new();

    public string Folder { get; } = Directory.CreateTempSubdirectory("ecqx-notebook-tests-").FullName;

    /// <summary>A notebook of code cells (markdown when the source starts with "md:"); "[parameters]" as first line tags the cell.</summary>
    public static NotebookDocument Build(params string[] cells)
    {
        var nb = NotebookDocument.CreateEmpty("test");
        foreach (string cell in cells)
        {
            if (cell.StartsWith("md:", StringComparison.Ordinal)) nb.AddCell("markdown", cell[3..]);
            else if (cell.StartsWith("[parameters]\n", StringComparison.Ordinal)) nb.AddCell("code", cell["[parameters]\n".Length..], "parameters");
            else nb.AddCell("code", cell);
        }
        return nb;
    }

    public Task<NotebookRunResult> RunAsync(NotebookDocument nb, params string[] parameters) =>
        Runner.RunAsync(nb, NotebookParameters.Parse(parameters), Folder);

    public static JsonArray OutputsOf(NotebookRunResult result, int cellIndex) => (JsonArray)result.Notebook.Cells[cellIndex]!["outputs"]!;

    public static string Text(JsonNode? multiline) => multiline switch
    {
        JsonArray a => string.Concat(a.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => throw new InvalidOperationException("not a multiline string"),
    };

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class NotebookRunnerCollection : ICollectionFixture<NotebookRunnerFixture>
{
    public const string Name = "notebook runner";
}
