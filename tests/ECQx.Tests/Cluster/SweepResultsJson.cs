using System.Text.Json.Nodes;

namespace ECQx.Tests.Cluster;

/// <summary>The content of a sweep's <c>results.json</c> that must not depend on how the sweep was run.</summary>
internal static class SweepResultsJson
{
    /// <summary>
    /// <c>results.json</c> of <paramref name="sweepDirectory"/> without the wall times (which differ between any two
    /// executions); every other field (run ids, accuracies, sparsities, coded bytes, per-layer detail) is kept.
    /// </summary>
    public static string Comparable(string sweepDirectory)
    {
        string path = Path.Combine(sweepDirectory, "results.json");
        var node = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
        foreach (string section in new[] { "baselines", "results" })
            foreach (var item in node[section]!.AsArray())
                item!.AsObject().Remove("wallSeconds");
        return node.ToJsonString();
    }

    /// <summary>The single sweep folder under <c>&lt;outRoot&gt;/&lt;experiment&gt;/</c>.</summary>
    public static string SweepFolder(string outRoot, string experiment) =>
        Directory.GetDirectories(Path.Combine(outRoot, experiment)).Single();
}
