using ECQx.Notebooks;
using Xunit;

namespace ECQx.Tests.Compression;

/// <summary>Runs notebooks/04-xai-pruning-and-mixed-precision.ipynb headless in quick mode; every cell must succeed.</summary>
[Collection(GlobalStateCollection.Name)]
public class Notebook04RunTests
{
    [Fact]
    public async Task Quick_mode_runs_every_cell()
    {
        string input = Path.Combine(TestPaths.RepoRoot(), "notebooks", "04-xai-pruning-and-mixed-precision.ipynb");
        string output = Path.Combine(TestPaths.NewTempDir(), "04-run.ipynb");
        var runner = new NotebookRunner();
        var (result, written) = await runner.RunFileAsync(input, output, NotebookParameters.Parse(new[] { "quick=true" }));
        Assert.True(result.Succeeded, result.Failure?.ToString());
        Assert.True(File.Exists(written));
        string text = File.ReadAllText(written);
        Assert.Contains("Weight sharing", text);
        Assert.Contains("ECQx 4 bit", text);
        ECQx.Tests.NotebookRuns.ExpectedFigures.Check("04-xai-pruning-and-mixed-precision.ipynb", result.Notebook);
    }
}
