using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace ECQx.Tests.Architecture;

/// <summary>
/// The dependencies between the library's folders (each folder of <c>src/ECQx</c> is a namespace <c>ECQx.&lt;Folder&gt;</c>;
/// sub-namespaces such as <c>ECQx.Coding.Nnr</c> count as their folder), computed from the source: a file of folder A
/// depends on folder B when it names a type declared in B and B's namespace is visible to it (a <c>using</c> of it, or a
/// qualified name <c>ECQx.B.…</c>). The graph must be acyclic, and <c>docs/library.md</c> lists it as computed here.
/// </summary>
public class NamespaceDependencyTests
{
    private const string Begin = "<!-- namespace-dependencies: begin (computed by tests/ECQx.Tests/Architecture/NamespaceDependencyTests.cs) -->";
    private const string End = "<!-- namespace-dependencies: end -->";

    /// <summary>The folder ("area") of a namespace: <c>ECQx.Coding.Nnr</c> → <c>Coding</c>, <c>ECQx</c> → <c>(root)</c>.</summary>
    internal static string Area(string? ns)
    {
        if (ns is null || ns == "ECQx") return "(root)";
        var parts = ns.Split('.');
        return parts.Length >= 2 && parts[0] == "ECQx" ? parts[1] : throw new ArgumentException($"namespace {ns} is not ECQx.*");
    }

    /// <summary>Folder → the folders it depends on, from the library's source and the types its assembly declares.</summary>
    internal static SortedDictionary<string, SortedSet<string>> Compute(string sourceDir, Assembly library)
    {
        var typeAreas = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var t in library.GetTypes().Where(t => t.DeclaringType is null && !t.Name.Contains('<') && t.Namespace?.StartsWith("ECQx", StringComparison.Ordinal) == true))
        {
            string name = t.Name.Split('`')[0];
            if (!typeAreas.TryGetValue(name, out var set)) typeAreas[name] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(Area(t.Namespace));
        }
        var areas = typeAreas.Values.SelectMany(s => s).ToHashSet(StringComparer.Ordinal);
        var graph = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(sourceDir, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(sourceDir, file);
            if (rel.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal) || rel.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
            var root = CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetCompilationUnitRoot();
            var ns = root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString();
            string own = Area(ns);
            if (!graph.TryGetValue(own, out var deps)) graph[own] = deps = new SortedSet<string>(StringComparer.Ordinal);
            var visible = root.DescendantNodes().OfType<UsingDirectiveSyntax>()
                .Where(u => u.Alias is null && u.StaticKeyword.IsKind(SyntaxKind.None) && u.Name is not null && u.Name.ToString().StartsWith("ECQx", StringComparison.Ordinal))
                .Select(u => Area(u.Name!.ToString())).ToHashSet(StringComparer.Ordinal);
            foreach (var token in root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)))
            {
                if (token.Parent?.FirstAncestorOrSelf<UsingDirectiveSyntax>() is not null) continue;
                if (token.Parent?.FirstAncestorOrSelf<BaseNamespaceDeclarationSyntax>() is { } n && n.Name.Span.Contains(token.Span)) continue;
                string text = token.ValueText;
                // a qualified name ECQx.<Area>.…
                if (text == "ECQx" && token.GetNextToken().IsKind(SyntaxKind.DotToken) && token.GetNextToken().GetNextToken() is var next
                    && areas.Contains(next.ValueText) && next.ValueText != own) { deps.Add(next.ValueText); continue; }
                if (!typeAreas.TryGetValue(text, out var declared) || declared.Contains(own) || declared.Contains("(root)")) continue;
                foreach (string area in declared) if (visible.Contains(area)) deps.Add(area);
            }
        }
        return graph;
    }

    /// <summary>A cycle of the graph (first folder repeated at the end), or null when it is acyclic.</summary>
    internal static IReadOnlyList<string>? FindCycle(IReadOnlyDictionary<string, SortedSet<string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();
        List<string>? Visit(string a)
        {
            state[a] = 1; path.Add(a);
            foreach (string b in graph.TryGetValue(a, out var d) ? d : new SortedSet<string>())
            {
                if (state.GetValueOrDefault(b) == 1) return path.Skip(path.IndexOf(b)).Append(b).ToList();
                if (state.GetValueOrDefault(b) == 0 && Visit(b) is { } c) return c;
            }
            state[a] = 2; path.RemoveAt(path.Count - 1);
            return null;
        }
        foreach (string a in graph.Keys) if (state.GetValueOrDefault(a) == 0 && Visit(a) is { } cycle) return cycle;
        return null;
    }

    /// <summary>The list as docs/library.md shows it: one line per folder, its dependencies in order.</summary>
    internal static string Describe(IReadOnlyDictionary<string, SortedSet<string>> graph)
    {
        var sb = new StringBuilder();
        foreach (var (area, deps) in graph)
            sb.Append("- `").Append(area).Append("` → ").Append(deps.Count == 0 ? "(nothing)" : string.Join(", ", deps.Select(d => "`" + d + "`"))).Append('\n');
        return sb.ToString();
    }

    private static SortedDictionary<string, SortedSet<string>> LibraryGraph() =>
        Compute(Path.Combine(TestPaths.RepoRoot(), "src", "ECQx"), typeof(TorchRuntime).Assembly);

    [Fact]
    public void FindCycleFindsATwoFolderCycleAndAcceptsALayering()
    {
        var cyclic = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal)
        {
            ["A"] = new() { "B" }, ["B"] = new() { "C" }, ["C"] = new() { "A" }, ["D"] = new() { "A" },
        };
        Assert.Equal(new[] { "A", "B", "C", "A" }, FindCycle(cyclic));
        cyclic["C"].Clear();
        Assert.Null(FindCycle(cyclic));
    }

    [Fact]
    public void TheLibrarysFoldersDependOnEachOtherWithoutACycle()
    {
        var graph = LibraryGraph();
        Assert.True(graph.ContainsKey("Experiments") && graph.ContainsKey("Plots"), "the library's source was not found");
        Assert.Contains("Plots", graph["Experiments"]);            // the report draws figures …
        Assert.DoesNotContain("Experiments", graph["Plots"]);       // … and figures know no experiment
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, "namespace cycle: " + string.Join(" → ", cycle ?? Array.Empty<string>()) + "\n" + Describe(graph));
    }

    [Fact]
    public void DocsLibraryListsTheComputedDependencies()
    {
        string path = Path.Combine(TestPaths.RepoRoot(), "docs", "library.md");
        string doc = File.ReadAllText(path).Replace("\r\n", "\n");
        int b = doc.IndexOf(Begin, StringComparison.Ordinal), e = doc.IndexOf(End, StringComparison.Ordinal);
        string expected = Describe(LibraryGraph());
        Assert.True(b >= 0 && e > b, $"{path} has no block between '{Begin}' and '{End}'; it should hold:\n{expected}");
        Assert.Equal(expected, doc[(b + Begin.Length)..e].Trim('\n') + "\n");
    }
}
