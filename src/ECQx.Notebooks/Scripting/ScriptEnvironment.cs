using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace ECQx.Notebooks;

/// <summary>
/// What every notebook starts with: references (the .NET shared framework, ECQx, TorchSharp, Plotly.NET,
/// Plotly.NET.CSharp, FSharp.Core, DynamicObj, XPlot.Plotly, Newtonsoft.Json) and imports. Built once per process, because reading the
/// reference metadata is the slow part of the first compile.
/// </summary>
public static class ScriptEnvironment
{
    /// <summary>The namespaces and static classes imported into every cell.</summary>
    public static IReadOnlyList<string> Imports { get; } =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Text", "System.Threading.Tasks",
        "ECQx", "ECQx.Notebooks", "ECQx.Plots", "TorchSharp", "TorchSharp.torch", "Plotly.NET",
    ];

    private static readonly Lazy<(ScriptOptions Options, IReadOnlySet<string> Names)> Base = new(Build);

    /// <summary>Simple names of all assemblies cells reference from the start (a notebook's <c>#r</c> of one is ignored).</summary>
    public static IReadOnlySet<string> PreloadedAssemblyNames => Base.Value.Names;

    /// <summary>Script options for a notebook whose relative <c>#r</c>/<c>#load</c> paths start at <paramref name="baseDirectory"/>.</summary>
    internal static ScriptOptions OptionsFor(string baseDirectory) =>
        Base.Value.Options
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(baseDirectory));

    private static (ScriptOptions, IReadOnlySet<string>) Build()
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

        ScriptOptions options = ScriptOptions.Default
            .WithReferences(references)
            .WithImports(Imports)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithEmitDebugInformation(true)      // line numbers in stack traces
            .WithFileEncoding(Encoding.UTF8)     // required for debug information from in-memory source
            .WithAllowUnsafe(false);
        return (options, names.ToImmutableHashSet(StringComparer.OrdinalIgnoreCase));
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
