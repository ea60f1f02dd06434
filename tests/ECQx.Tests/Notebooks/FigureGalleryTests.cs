using System.Text.Json.Nodes;
using ECQx.Notebooks;
using ECQx.Notebooks.Gallery;
using ECQx.Notebooks.Nbformat;
using Xunit;

namespace ECQx.Tests.Notebooks;

public sealed class FigureGalleryTests
{
    private static readonly byte[] FakePng = { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 1, 2, 3 };

    /// <summary>An executed notebook with chart outputs of the given titles; a null PNG leaves image/png out.</summary>
    private static NotebookDocument Executed(params (string Title, byte[]? Png)[] charts)
    {
        var nb = NotebookDocument.CreateEmpty("x");
        var cell = nb.AddCell("code", "// charts");
        var outputs = new JsonArray();
        foreach (var (title, png) in charts)
        {
            var data = new JsonObject { ["application/vnd.plotly.v1+json"] = new JsonObject { ["data"] = new JsonArray(), ["layout"] = new JsonObject { ["title"] = new JsonObject { ["text"] = title } } } };
            if (png is not null) data["image/png"] = Convert.ToBase64String(png);
            outputs.Add(new JsonObject { ["output_type"] = "display_data", ["data"] = data, ["metadata"] = new JsonObject() });
        }
        cell["outputs"] = outputs;
        return nb;
    }

    [Fact]
    public void EachFigureIsCaptionedWithTheRunAndTheClaimsItsCellMakesAfterIt()
    {
        string dir = TestPaths.NewTempDir();
        var nb = Executed(("first", FakePng), ("second", FakePng));
        var outputs = (JsonArray)((JsonObject)nb.Cells[0]!)["outputs"]!;
        JsonObject Output(MimeBundle b) => new() { ["output_type"] = "display_data", ["data"] = b.ToJson(), ["metadata"] = new JsonObject() };
        // order in the cell: chart "first", claim A, chart "second", claims B and C; the run description comes in another cell
        outputs.Insert(1, Output(Claims.Bundle(new NotebookClaim("A holds", true, "1 > 0"))));
        outputs.Add(Output(Claims.Bundle(new NotebookClaim("B fails", false, "2 < 1"))));
        outputs.Add(Output(Claims.Bundle(new NotebookClaim("C holds", true, ""))));
        var runCell = nb.AddCell("code", "describeRun(...)");
        runCell["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "display_data", ["metadata"] = new JsonObject(),
            ["data"] = new JsonObject { [Claims.RunMimeType] = new JsonObject { ["run"] = "quick mode; seeds 1, 2, 3" } } });

        var found = FigureGallery.Extract(nb, "00-ecqx-primer.ipynb", new[] { "second", "first" }, dir, out _);

        Assert.Equal(new[] { "B fails", "C holds" }, found[0].Claims!.Select(c => c.Statement));
        Assert.Equal(new[] { "A holds" }, found[1].Claims!.Select(c => c.Statement));
        Assert.All(found, f => Assert.Equal("quick mode; seeds 1, 2, 3", f.Run));
        string index = File.ReadAllText(FigureGallery.WriteIndex(dir, found, "./ecqx notebook gallery"));
        Assert.Contains("Run: quick mode; seeds 1, 2, 3", index);
        Assert.Contains("- ✗ not in this run: B fails — 2 < 1\n- ✓ C holds\n", index);
        Assert.Contains("- ✓ A holds — 1 > 0\n", index);
    }

    [Fact]
    public void KeyFiguresAreWrittenInListOrderAndMissingOnesReported()
    {
        string dir = TestPaths.NewTempDir();
        var nb = Executed(("Λ = 0.4: accuracy of ECQ and ECQx over 3 seeds", FakePng), ("no png here", null), ("Cost of one pass", FakePng));
        var found = FigureGallery.Extract(nb, "00-ecqx-primer.ipynb", new[] { "Cost of one *", "Λ = 0.4: accuracy*", "no png here", "absent" }, dir, out var missing);
        Assert.Equal(new[] { "00-ecqx-primer/cost-of-one-pass.png", "00-ecqx-primer/lambda-0-4-accuracy-of-ecq-and-ecqx-over-3-seeds.png" }, found.Select(f => f.File));
        Assert.Equal(new[] { "no png here", "absent" }, missing);
        Assert.Equal(FakePng, File.ReadAllBytes(Path.Combine(dir, "00-ecqx-primer", "cost-of-one-pass.png")));
        string index = File.ReadAllText(FigureGallery.WriteIndex(dir, found, "./ecqx notebook gallery"));
        Assert.Contains("](00-ecqx-primer/cost-of-one-pass.png)", index);
        Assert.Contains("./ecqx notebook gallery", index);
    }

    [Fact]
    public void SlugsAreAsciiFileNames()
    {
        Assert.Equal("resnet20-synthetic-stand-in-not-cifar-10-rank-agreement", FigureGallery.Slug("ResNet20 / SYNTHETIC stand-in (not CIFAR-10): rank agreement"));
        Assert.Equal("ecqx-ecq-at-matched-sparsity", FigureGallery.Slug("ECQx − ECQ at matched sparsity"));
        Assert.Equal("figure", FigureGallery.Slug("— ∑ —"));
        Assert.Equal("spearman-rho-per-layer", FigureGallery.Slug("Spearman ρ, per layer"));
        Assert.True(FigureGallery.Slug(new string('a', 200)).Length <= 80);
    }

    [Fact]
    public void ListsTakeTheGallerySubsetAndBadListsAreNamed()
    {
        string dir = TestPaths.NewTempDir();
        string good = Path.Combine(dir, "a.json"), bad = Path.Combine(dir, "b.json");
        File.WriteAllText(good, "{\"figures\": [\"x\", \"y\"], \"gallery\": [\"y\"]}");
        Assert.Equal(new[] { "y" }, FigureGallery.Titles(good));
        File.WriteAllText(good, "[\"x\", \"y\"]");
        Assert.Equal(new[] { "x", "y" }, FigureGallery.Titles(good));
        File.WriteAllText(bad, "{\"figures\": [\"x\", 3]}");
        Assert.Contains("b.json: entry 1", Assert.Throws<InvalidDataException>(() => FigureGallery.Titles(bad)).Message);
        File.WriteAllText(bad, "{ nope");
        Assert.Contains("b.json: not valid JSON", Assert.Throws<InvalidDataException>(() => FigureGallery.Titles(bad)).Message);
    }
}
