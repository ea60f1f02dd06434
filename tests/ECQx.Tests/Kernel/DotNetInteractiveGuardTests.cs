using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace ECQx.Tests.Kernel;

/// <summary>
/// Under the deprecated .NET Interactive kernel (the <c>Microsoft.dotnet-interactive</c> tool, installed by
/// <c>.ci/install-prereqs</c> into <see cref="ToolPath"/>), each notebook's first cell stops with one error whose
/// message names the cause and the C# (ECQx) kernel, before TorchSharp's native library is touched.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class DotNetInteractiveGuardTests(ITestOutputHelper log)
{
    /// <summary>Where <c>.ci/install-prereqs</c> installs the tool (<c>dotnet tool install --tool-path</c>).</summary>
    public static string ToolPath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ecqx-dotnet-interactive");

    [DotNetInteractiveFact]
    public void FirstCellStopsWithOneMessageNamingTheCauseAndTheKernel()
    {
        string tool = Path.Combine(ToolPath, "dotnet-interactive");
        string jupyter = TestPaths.NewTempDir();
        string kernels = Path.Combine(jupyter, "kernels");
        Directory.CreateDirectory(kernels);
        var (exit, output) = JupyterClients.RunProcess(tool, ["jupyter", "install", "--path", kernels], new Dictionary<string, string>(), TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, output);
        // The installed spec starts "dotnet interactive" (a global tool); point it at the tool path instead.
        string specFile = Path.Combine(kernels, ".net-csharp", "kernel.json");
        var spec = JsonNode.Parse(File.ReadAllText(specFile))!.AsObject();
        var argv = spec["argv"]!.AsArray().Select(a => a!.GetValue<string>()).Skip(2).Prepend(tool).ToArray();
        spec["argv"] = new JsonArray(argv.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        File.WriteAllText(specFile, spec.ToJsonString());

        string[] notebooks = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot(), "notebooks"), "*.ipynb").Order(StringComparer.Ordinal).ToArray();
        (exit, output) = JupyterClients.RunScript("dotnet_interactive_check.py", notebooks, jupyter, TimeSpan.FromMinutes(10));
        log.WriteLine(output);
        Assert.True(exit == 0, output);
        var results = output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(notebooks.Length, results.Count);
        foreach (JsonNode r in results)
        {
            string name = r["notebook"]!.GetValue<string>();
            Assert.Equal("error", r["status"]!.GetValue<string>());
            Assert.Equal(1, r["errors"]!.GetValue<int>());
            string message = r["evalue"]!.GetValue<string>();
            Assert.Contains("C# (ECQx) kernel", message);
            Assert.Contains("GLIBCXX_3.4.32", message);
            Assert.DoesNotContain("LoadNativeBackend", message);
            Assert.DoesNotContain("libLibTorchSharp", message);
            log.WriteLine($"{name}: {message}");
        }
    }
}

/// <summary>A fact that needs the .NET Interactive tool and the Jupyter clients; skipped, with the reason, without them.</summary>
public sealed class DotNetInteractiveFactAttribute : FactAttribute
{
    public DotNetInteractiveFactAttribute()
    {
        if (JupyterClients.MissingReason is { } reason) Skip = reason;
        else if (!File.Exists(Path.Combine(DotNetInteractiveGuardTests.ToolPath, "dotnet-interactive")))
            Skip = $"the .NET Interactive tool is not installed in {DotNetInteractiveGuardTests.ToolPath} (.ci/install-prereqs installs Microsoft.dotnet-interactive 1.0.712001 there)";
    }
}
