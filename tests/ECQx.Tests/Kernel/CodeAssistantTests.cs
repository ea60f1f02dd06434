using System.Text.Json.Nodes;
using ECQx.Notebooks;
using ECQx.Notebooks.Execution;
using ECQx.Notebooks.Kernel;
using Xunit;

namespace ECQx.Tests.Kernel;

/// <summary>
/// Completion and inspection see what the next cell would see: variables of earlier cells (the latest declaration of a
/// name, with its type), methods and types declared in cells, and the cells' usings; without a client.
/// </summary>
[Collection(Notebooks.NotebookRunnerCollection.Name)]
public sealed class CodeAssistantTests
{
    private static async Task Ran(CellSession session, string code, int n)
    {
        CellOutcome outcome = await session.ExecuteAsync(code, $"cell-{n}", session.NewCapture(), CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Error?.ToString());
    }

    private static List<string> Matches(JsonObject reply) => reply["matches"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();

    [Fact]
    public async Task CompletionAndInspectionSeeVariablesMethodsTypesAndUsingsOfEarlierCells()
    {
        var session = new CellSession(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
        using var assistant = new CodeAssistant(session);
        Assert.Contains("WriteLine", Matches(assistant.Complete("Console.Wri", 11)));

        await Ran(session, "record Sample(int Width, string Label);\nint Twice(int v) => 2 * v;\nvar answer = 42;", 1);
        await Ran(session, "using System.Globalization;\nvar answer = \"text\";\nvar first = new Sample(3, \"a\");", 2);

        Assert.Contains("Twice", Matches(assistant.Complete("var q = Twi", 11)));
        Assert.Contains("answer", Matches(assistant.Complete("var q = ans", 11)));
        Assert.Contains("Length", Matches(assistant.Complete("answer.Len", 10)));          // the latest answer is a string
        Assert.Contains("Width", Matches(assistant.Complete("first.Wi", 8)));
        Assert.Contains("CultureInfo", Matches(assistant.Complete("var c = CultureIn", 17)));

        JsonObject inspected = assistant.Inspect("Twice(4)", 2);
        string text = inspected["data"]!["text/plain"]!.GetValue<string>();
        Assert.True(inspected["found"]!.GetValue<bool>());
        Assert.StartsWith("int Twice(int v)", text);
        Assert.DoesNotContain("__ecqx", text);
        string variable = assistant.Inspect("answer", 2)["data"]!["text/plain"]!.GetValue<string>();
        Assert.Contains("string", variable);
        Assert.Contains("answer", variable);

        // Deconstructed variables and anonymous objects, with the types later cells see.
        await Ran(session, "var (count, name) = (2, \"n\");\nvar shape = new { Side = 2.5, Label = \"s\" };", 3);
        Assert.Contains("Length", Matches(assistant.Complete("name.Len", 8)));
        Assert.Contains("Side", Matches(assistant.Complete("shape.Si", 8)));
        string shape = assistant.Inspect("shape", 2)["data"]!["text/plain"]!.GetValue<string>();
        Assert.Contains("anonymous type<double, string> shape", shape);
        Assert.DoesNotContain("__ecqx", shape);
    }
}
