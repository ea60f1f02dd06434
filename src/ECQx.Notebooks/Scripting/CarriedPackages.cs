using System.Reflection;
using Plotly.NET;
using TorchSharp;

namespace ECQx.Notebooks.Scripting;

/// <summary>
/// The NuGet packages the runner and the kernel already have loaded (this file is the one list of them). A notebook's <c>#r "nuget: Name, Version"</c> line for
/// one of them (needed in Polyglot Notebooks) is accepted and ignored; any other package is an error,
/// because the headless runner does not download packages.
/// </summary>
public static class CarriedPackages
{
    private static readonly Lazy<IReadOnlyDictionary<string, string?>> Packages = new(Build);

    /// <summary>Package id (case-insensitive) → the version the runner carries (null when it is not checked).</summary>
    public static IReadOnlyDictionary<string, string?> All => Packages.Value;

    /// <summary>
    /// Checks a requested package. Returns null when it is carried at the requested version (or no version
    /// was asked for), a note when it is carried at another version (the runner's is used), and throws
    /// <see cref="NotSupportedException"/> naming the package when it is not carried.
    /// </summary>
    public static string? Check(string name, string? version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!All.TryGetValue(name.Trim(), out string? carried))
            throw new NotSupportedException(
                $"package '{name.Trim()}' is not available: the headless runner does not download NuGet packages; " +
                $"it carries {string.Join(", ", All.Keys.Order(StringComparer.OrdinalIgnoreCase))}. " +
                "Use one of these, or add the package to src/ECQx.Notebooks.");
        string? asked = string.IsNullOrWhiteSpace(version) ? null : version.Trim();
        if (asked is null || carried is null || asked.Contains('*') || string.Equals(asked, carried, StringComparison.OrdinalIgnoreCase))
            return null;
        return $"the notebook asks for {name.Trim()} {asked}; the runner carries {carried} and uses that.";
    }

    private static IReadOnlyDictionary<string, string?> Build()
    {
        string? torchSharp = VersionOf(typeof(torch).Assembly);
        string? plotly = VersionOf(typeof(GenericChart).Assembly);
        string? plotlyCs = VersionOf(typeof(Plotly.NET.CSharp.Chart).Assembly);
        return new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            // This repository's own library as a package (#r "nuget: ECQx.Research, VERSION"): the runner has it loaded.
            ["ECQx.Research"] = VersionOf(typeof(ECQx.TorchRuntime).Assembly),
            ["TorchSharp"] = torchSharp,
            // Native libtorch bundles: the runner uses the one it was built with (CPU unless -p:EcqxCuda=true).
            ["TorchSharp-cpu"] = torchSharp,
            ["TorchSharp-cuda-linux"] = torchSharp,
            ["TorchSharp-cuda-windows"] = torchSharp,
            ["libtorch-cpu"] = null,
            ["libtorch-cpu-linux-x64"] = null,
            ["libtorch-cpu-win-x64"] = null,
            ["libtorch-cpu-osx-arm64"] = null,
            ["Plotly.NET"] = plotly,
            ["Plotly.NET.CSharp"] = plotlyCs,
            // Polyglot's chart formatter; the runner formats charts itself.
            ["Plotly.NET.Interactive"] = null,
            ["FSharp.Core"] = VersionOf(typeof(Microsoft.FSharp.Core.FSharpOption<int>).Assembly),
            ["DynamicObj"] = VersionOf(typeof(DynamicObj.DynamicObj).Assembly),
            // XPlot's informational version says 1.0.0; the highest of its (two) file versions is the package version.
            ["XPlot.Plotly"] = typeof(XPlot.Plotly.PlotlyChart).Assembly.GetCustomAttributes<AssemblyFileVersionAttribute>()
                .Select(a => Version.TryParse(a.Version, out Version? v) ? v : null).Where(v => v is not null).Max()?.ToString(),
        };
    }

    private static string? VersionOf(Assembly assembly)
    {
        string? info = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (info is null) return assembly.GetName().Version?.ToString(3);
        int plus = info.IndexOf('+');
        return plus >= 0 ? info[..plus] : info;
    }
}
