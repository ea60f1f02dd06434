using System.Text.Json.Nodes;
using ECQx.Notebooks;
using ECQx.Plots;
using Xunit;
using static ECQx.Tests.Notebooks.NotebookRunnerFixture;

namespace ECQx.Tests.Notebooks;

[Collection(NotebookRunnerCollection.Name)]
public sealed class NotebookRunnerTests(NotebookRunnerFixture fx)
{
    [Fact]
    public async Task StateFunctionsAndUsingsCarryAcrossCells()
    {
        var nb = Build(
            "md:# Title",
            "var x = 20;\nint Twice(int v) => 2 * v;",
            "using System.Globalization;",
            "Twice(x) + 2",
            "x.ToString(CultureInfo.InvariantCulture) + \"!\"");
        var result = await fx.RunAsync(nb);

        Assert.True(result.Succeeded, result.Failure?.ToString());
        Assert.Equal(4, result.ExecutedCells);
        var r3 = Assert.Single(OutputsOf(result, 3));
        Assert.Equal("execute_result", r3!["output_type"]!.GetValue<string>());
        Assert.Equal("42", Text(r3["data"]!["text/plain"]));
        Assert.Equal(3, r3["execution_count"]!.GetValue<int>());
        Assert.Equal(3, result.Notebook.Cells[3]!["execution_count"]!.GetValue<int>());
        Assert.Equal("20!", Text(OutputsOf(result, 4)[0]!["data"]!["text/plain"]));
        Assert.Empty(OutputsOf(result, 1)); // declarations only: no value, no output
        var markdown = (JsonObject)result.Notebook.Cells[0]!;
        Assert.False(markdown.ContainsKey("outputs"));
        Assert.False(markdown.ContainsKey("execution_count"));
        // The caller's document is not changed by the run.
        Assert.Empty((JsonArray)nb.Cells[3]!["outputs"]!);
    }

    [Fact]
    public async Task CompileErrorNamesTheCellAndTheLineAfterStrippedDirectives()
    {
        var nb = Build(
            "int a = 1;",
            "#!csharp\n#r \"nuget: Plotly.NET, 6.0.0\"\nint b = \"text\";",
            "a + 1");
        var result = await fx.RunAsync(nb);

        Assert.False(result.Succeeded);
        CellFailure f = result.Failure!;
        Assert.Equal(2, f.CellNumber);
        Assert.Equal(3, f.Line);
        Assert.Equal("CompilationError", f.ErrorName);
        Assert.Contains("CS0029", f.Message);
        Assert.StartsWith("cell 2, line 3: CompilationError: CS0029", f.ToString());
        var error = Assert.Single(OutputsOf(result, 1))!;
        Assert.Equal("error", error["output_type"]!.GetValue<string>());
        Assert.Contains(error["traceback"]!.AsArray(), l => l!.GetValue<string>().StartsWith("cell-2, line 3, column 9: error CS0029"));
        // The cell after the failure did not run.
        Assert.Null(result.Notebook.Cells[2]!["execution_count"]);
        Assert.Empty(OutputsOf(result, 2));
        Assert.Equal("failed", result.Notebook.Metadata["ecqx_run"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task RuntimeErrorNamesCellAndLineAndKeepsWhatWasPrintedBefore()
    {
        var result = await fx.RunAsync(Build(
            "Console.WriteLine(\"before\");\nvar list = new List<int>();\nvar y = list[3];"));

        CellFailure f = result.Failure!;
        Assert.Equal((1, 3, "ArgumentOutOfRangeException"), (f.CellNumber!.Value, f.Line!.Value, f.ErrorName));
        var outputs = OutputsOf(result, 0);
        Assert.Equal(2, outputs.Count);
        Assert.Equal(("stream", "stdout", "before\n"),
            (outputs[0]!["output_type"]!.GetValue<string>(), outputs[0]!["name"]!.GetValue<string>(), Text(outputs[0]!["text"])));
        Assert.Equal("ArgumentOutOfRangeException", outputs[1]!["ename"]!.GetValue<string>());
        Assert.Contains(outputs[1]!["traceback"]!.AsArray(), l => l!.GetValue<string>().Contains("cell-1:line 3"));
    }

    [Fact]
    public async Task ExceptionFromAFunctionOfAnEarlierCellNamesBothCells()
    {
        var result = await fx.RunAsync(Build(
            "int Boom(int v) =>\n    throw new InvalidOperationException(\"boom \" + v);",
            "var ok = 1;\nBoom(7)"));

        CellFailure f = result.Failure!;
        Assert.Equal(2, f.CellNumber);
        Assert.Equal(2, f.Line);
        Assert.Equal("InvalidOperationException", f.ErrorName);
        Assert.Contains("boom 7", f.Message);
        Assert.Contains("raised in cell 1, line 2", f.Message);
    }

    [Fact]
    public async Task DisplaysTextHtmlTablesAndChartsInOrderWithPrintedText()
    {
        var nb = Build(
            "record Row(string Name, double Value);",
            """
            Console.WriteLine("first");
            display("plain text");
            display(HTML("<b>bold</b>"));
            display(new[] { new Row("a<b", 1.5), new Row("c", 2.25) });
            Console.WriteLine("between");
            display(Figures.AccuracyVsSparsity(new[] { new QuantizationResult("ECQ", 4, 90, 70), new QuantizationResult("ECQ", 4, 88, 50) }));
            Display.Show(Figures.PerLayerBars(new[] { new LayerValue("conv1", "ECQ", 10) }, "sparsity (%)"));
            var h = display("step 1");
            h.Update("step 2");
            Console.Error.WriteLine("warn");
            """,
            "new[] { 1, 2, 3 }");
        var result = await fx.RunAsync(nb);
        Assert.True(result.Succeeded, result.Failure?.ToString());

        var o = OutputsOf(result, 1).Select(x => x!.AsObject()).ToList();
        Assert.Equal(
            ["stream", "display_data", "display_data", "display_data", "stream", "display_data", "display_data", "display_data", "stream"],
            o.Select(x => x["output_type"]!.GetValue<string>()));
        Assert.Equal("first\n", Text(o[0]["text"]));
        Assert.Equal("plain text", Text(o[1]["data"]!["text/plain"]));
        Assert.Equal("<b>bold</b>", Text(o[2]["data"]!["text/html"]));

        string table = Text(o[3]["data"]!["text/html"]);
        Assert.Contains("<th>Name</th><th>Value</th>", table);
        Assert.Contains("<td>a&lt;b</td><td>1.5</td>", table);
        Assert.Equal(["Name  Value", "----  -----", "a<b   1.5", "c     2.25"], Text(o[3]["data"]!["text/plain"]).TrimEnd('\n').Split('\n'));
        Assert.Equal("between\n", Text(o[4]["text"]));

        // Chart 1: the figure JSON (x sorted by sparsity, y paired with it) and an HTML fallback carrying plotly.js.
        var figure = o[5]["data"]!["application/vnd.plotly.v1+json"]!;
        Assert.Equal([50.0, 70.0], figure["data"]![0]!["x"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal([88.0, 90.0], figure["data"]![0]!["y"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.IsType<JsonObject>(figure["layout"]);
        string html1 = Text(o[5]["data"]!["text/html"]);
        Assert.Contains(PlotlyJs.Source[..2000], html1);
        Assert.DoesNotMatch(@"<script[^>]*\bsrc\s*=", html1);
        // Chart 2 (through Display.Show): plotly.js only once per notebook; the fallback waits for it.
        string html2 = Text(o[6]["data"]!["text/html"]);
        Assert.DoesNotContain(PlotlyJs.Source[..2000], html2);
        Assert.Contains("window.Plotly", html2);
        Assert.Equal("bar", o[6]["data"]!["application/vnd.plotly.v1+json"]!["data"]![0]!["type"]!.GetValue<string>());

        Assert.Equal("step 2", Text(o[7]["data"]!["text/plain"])); // updated in place
        Assert.Equal(("stderr", "warn\n"), (o[8]["name"]!.GetValue<string>(), Text(o[8]["text"])));

        var value = Assert.Single(OutputsOf(result, 2))!;
        Assert.Equal("[1, 2, 3]", Text(value["data"]!["text/plain"]));
        Assert.Equal(3, value["execution_count"]!.GetValue<int>());
        Assert.Empty(NbformatValidator.Validate(result.Notebook.ToJson()));
    }

    [Fact]
    public async Task ParametersCellValuesAreOverriddenByTypedInjectedAssignments()
    {
        var nb = Build(
            "md:# Parameters",
            "[parameters]\nint epochs = 10;\ndouble lr = 0.5;\nstring tag = \"base\";\nbool quick = false;",
            "$\"{epochs}|{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)}|{tag}|{quick}\"");

        var defaults = await fx.RunAsync(nb);
        Assert.True(defaults.Succeeded, defaults.Failure?.ToString());
        Assert.Equal("10|0.5|base|False", Text(OutputsOf(defaults, 2)[0]!["data"]!["text/plain"]));
        Assert.Equal(3, defaults.Notebook.Cells.Count); // nothing injected without --param

        var run = await fx.RunAsync(nb, "epochs=3", "lr=1e-3", "tag=a \"b\"", "quick=true");
        Assert.True(run.Succeeded, run.Failure?.ToString());
        Assert.Equal(4, run.Notebook.Cells.Count);
        var injected = run.Notebook.Cells[2]!.AsObject();
        Assert.Equal(["injected-parameters"], injected["metadata"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains("epochs = 3;", Text(injected["source"]));
        Assert.Equal("3|0.001|a \"b\"|True", Text(OutputsOf(run, 3)[0]!["data"]!["text/plain"]));
        Assert.Equal("3", run.Notebook.Metadata["ecqx_run"]!["parameters"]!["epochs"]!.GetValue<string>());
        Assert.Empty(NbformatValidator.Validate(run.Notebook.ToJson()));
    }

    [Fact]
    public async Task BadParametersAreClearErrors()
    {
        var nb = Build("[parameters]\nint epochs = 10;", "epochs");

        var unknown = await fx.RunAsync(nb, "epoch=3");
        Assert.Equal("ParameterError", unknown.Failure!.ErrorName);
        Assert.Null(unknown.Failure.CellNumber);
        Assert.Contains("'epoch'", unknown.Failure.Message);
        Assert.Contains("declares epochs", unknown.Failure.Message);
        Assert.Null(unknown.Notebook.Cells[2]!["execution_count"]); // stopped before the next cell

        var badValue = await fx.RunAsync(nb, "epochs=abc");
        Assert.Contains("'abc' is not an int", badValue.Failure!.Message);

        var noCell = await Assert.ThrowsAsync<NotebookRunException>(() => fx.RunAsync(Build("var epochs = 1;"), "epochs=2"));
        Assert.Contains("parameters", noCell.Message);
    }

    [Fact]
    public async Task CarriedPackagesAndOwnAssembliesAreAcceptedAndThePreludeIsLoaded()
    {
        var result = await fx.RunAsync(Build(
            "#r \"nuget: TorchSharp-cpu, 0.107.0\"\n#r \"nuget: Plotly.NET.Interactive, 6.0.0\"\n#r \"nuget: TorchSharp, 0.100.0\"\n" +
            "#r \"../src/ECQx/bin/Release/net10.0/linux-x64/ECQx.dll\"\n" +
            "GenericChart chart = Figures.MetricPerEpoch(new[] { new EpochValue(\"acc\", 1, 0.5) }, \"accuracy\");\n" +
            "ones(2, 3).sum().item<float>()"));

        Assert.True(result.Succeeded, result.Failure?.ToString());
        Assert.Equal("6", Text(OutputsOf(result, 0)[0]!["data"]!["text/plain"]));
        string note = Assert.Single(result.Notes);
        Assert.Contains("TorchSharp 0.100.0", note);
        Assert.Contains("0.107.0", note);
    }

    [Theory]
    [InlineData("#r \"nuget: Newtonsoft.Json, 13.0.3\"", 1, "'Newtonsoft.Json'")]
    [InlineData("var a = 1;\n#!about", 2, "'#!about'")]
    [InlineData("#!fsharp\nlet x = 1", 1, "'#!fsharp'")]
    [InlineData("var a = 1;\n\n#r \"missing/Nowhere.dll\"", 3, "Nowhere.dll")]
    public async Task UnsupportedDirectivesStopTheRunNamingWhatAndWhere(string source, int line, string named)
    {
        var result = await fx.RunAsync(Build("var before = 1;", source, "before"));

        CellFailure f = result.Failure!;
        Assert.Equal("DirectiveError", f.ErrorName);
        Assert.Equal((2, line), (f.CellNumber!.Value, f.Line!.Value));
        Assert.Contains(named, f.Message);
        Assert.Equal("error", OutputsOf(result, 1).Single()!["output_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task CellOfAnotherKernelIsRejected()
    {
        var nb = Build("1 + 1");
        nb.Cells[0]!["metadata"] = new JsonObject { ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "pwsh" } };
        var result = await fx.RunAsync(nb);
        Assert.Contains("'pwsh'", result.Failure!.Message);
    }

    [Fact]
    public async Task PolyglotStyleFileRunsAndTheWrittenCopyIsValidNbformatEvenAfterAFailure()
    {
        // As VS Code saves it: nbformat 4.4 without ids, source as line arrays, stale outputs, kernel metadata.
        string json = """
            {
             "cells": [
              { "cell_type": "markdown", "metadata": {}, "source": ["# Demo\n", "text"] },
              { "cell_type": "code", "execution_count": 7, "metadata": { "polyglot_notebook": { "kernelName": "csharp" } },
                "outputs": [ { "output_type": "stream", "name": "stdout", "text": ["stale\n"] } ],
                "source": ["#!csharp\n", "Console.Write(\"x = \");\n", "Console.WriteLine(6 * 7);\n", "display(HTML(\"<i>hi</i>\"));\n", "6 * 7"] },
              { "cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
                "source": ["var s = (string)null;\n", "s.Length"] },
              { "cell_type": "code", "execution_count": 9, "metadata": {}, "outputs": [ { "output_type": "stream", "name": "stdout", "text": "stale" } ],
                "source": "1" }
             ],
             "metadata": {
              "kernelspec": { "display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp" },
              "language_info": { "name": "polyglot-notebook" },
              "custom": { "kept": true }
             },
             "nbformat": 4,
             "nbformat_minor": 4
            }
            """;
        string input = Path.Combine(fx.Folder, "demo.ipynb");
        string output = Path.Combine(fx.Folder, "out", "demo.ipynb");
        await File.WriteAllTextAsync(input, json);

        var (result, written) = await fx.Runner.RunFileAsync(input, output);

        Assert.Equal(output, written);
        Assert.Equal((3, 2, "NullReferenceException"), (result.Failure!.CellNumber!.Value, result.Failure.Line!.Value, result.Failure.ErrorName));
        string text = await File.ReadAllTextAsync(output);
        Assert.Empty(NbformatValidator.Validate(text));
        var saved = JsonNode.Parse(text)!;
        Assert.True(saved["metadata"]!["custom"]!["kept"]!.GetValue<bool>());
        Assert.Equal("csharp", saved["cells"]![1]!["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        var first = saved["cells"]![1]!["outputs"]!.AsArray();
        Assert.Equal(["stream", "display_data", "execute_result"], first.Select(x => x!["output_type"]!.GetValue<string>()));
        Assert.Equal("x = 42\n", Text(first[0]!["text"]));
        Assert.Equal(1, saved["cells"]![1]!["execution_count"]!.GetValue<int>());
        // The cell after the failure: stale outputs cleared, not executed.
        Assert.Empty(saved["cells"]![3]!["outputs"]!.AsArray());
        Assert.Null(saved["cells"]![3]!["execution_count"]);
        Assert.Null(saved["cells"]![0]!["id"]); // 4.4 has no ids and needs none
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(output)!), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void ValidatorRejectsWhatTheSchemaRejects()
    {
        // A check that the independent validator is not vacuous.
        string bad = """
            { "cells": [ { "cell_type": "code", "metadata": {}, "source": "1", "outputs": [
                { "output_type": "stream", "text": "x" },
                { "output_type": "display_data", "data": { "text/plain": 3 }, "metadata": {} } ],
                "execution_count": -1, "extra": 1 } ],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 5 }
            """;
        var errors = NbformatValidator.Validate(bad);
        Assert.Contains("/cells/0/id: required", errors);
        Assert.Contains("/cells/0/extra: property not allowed here", errors);
        Assert.Contains("/cells/0/execution_count: must be null or an integer >= 0", errors);
        Assert.Contains("/cells/0/outputs/0/name: required", errors);
        Assert.Contains("/cells/0/outputs/1/data/text/plain: not a string or an array of strings", errors);
    }
}
