using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;

namespace ECQx.Notebooks.Scripting;

/// <summary>
/// What every notebook starts with: references (the .NET shared framework, ECQx, TorchSharp, Plotly.NET,
/// Plotly.NET.CSharp, FSharp.Core, DynamicObj, XPlot.Plotly, Newtonsoft.Json) and imports. Built once per process, because reading the
/// reference metadata is the slow part of the first compile; every cell's compilation shares these reference objects.
/// </summary>
public static class ScriptEnvironment
{
    /// <summary>The namespaces and static classes imported into every cell.</summary>
    public static IReadOnlyList<string> Imports { get; } =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Text", "System.Threading.Tasks",
        "ECQx", "ECQx.Notebooks", "ECQx.Plots", "ECQx.Results", "TorchSharp", "TorchSharp.torch", "Plotly.NET",
    ];

    private static readonly Lazy<(IReadOnlyList<MetadataReference> References, IReadOnlySet<string> Names, string Usings)> Base = new(Build);

    /// <summary>Simple names of all assemblies cells reference from the start (a notebook's <c>#r</c> of one is ignored).</summary>
    public static IReadOnlySet<string> PreloadedAssemblyNames => Base.Value.Names;

    /// <summary>The references every cell compiles against (the same objects each time, so Roslyn reuses what it read of them).</summary>
    internal static IReadOnlyList<MetadataReference> References => Base.Value.References;

    /// <summary><see cref="Imports"/> as C# <c>using</c> directives (<c>using static</c> for a class), one per line.</summary>
    internal static string UsingDirectives => Base.Value.Usings;

    private static (IReadOnlyList<MetadataReference>, IReadOnlySet<string>, string) Build()
    {
        var assemblies = new[]
        {
            typeof(TorchRuntime).Assembly,                       // ECQx
            typeof(NotebookGlobals).Assembly,                    // ECQx.Notebooks
            typeof(TorchSharp.torch).Assembly,
            typeof(Plotly.NET.GenericChart).Assembly,
            typeof(Plotly.NET.CSharp.Chart).Assembly,
            typeof(Microsoft.FSharp.Core.FSharpOption<int>).Assembly,
            typeof(DynamicObj.DynamicObj).Assembly,
            typeof(XPlot.Plotly.PlotlyChart).Assembly,
            typeof(Newtonsoft.Json.JsonConvert).Assembly,
        };
        var references = new List<MetadataReference>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        foreach (string dll in Directory.EnumerateFiles(frameworkDir, "*.dll").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(dll);
            if (!(name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal)
                  || name is "netstandard" or "mscorlib"))
                continue;
            if (!IsManaged(dll)) continue;
            references.Add(MetadataReference.CreateFromFile(dll));
            names.Add(name);
        }
        foreach (Assembly a in assemblies)
        {
            references.Add(MetadataReference.CreateFromFile(a.Location));
            names.Add(a.GetName().Name!);
        }
        // Everything deployed next to the runner (a #r of one of these uses the runner's copy).
        foreach (string dll in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
            names.Add(Path.GetFileNameWithoutExtension(dll));

        var usings = new StringBuilder();
        foreach (string import in Imports)
        {
            bool isClass = assemblies.Any(a => a.GetType(import) is not null);
            usings.Append(isClass ? "using static global::" : "using global::").Append(import).Append(";\n");
        }
        return (references, names.ToImmutableHashSet(StringComparer.OrdinalIgnoreCase), usings.ToString());
    }

    private static bool IsManaged(string path)
    {
        try
        {
            _ = AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
