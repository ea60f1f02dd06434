using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// Compiles cell classes (see <see cref="CellClassWriter"/>) and loads each into a collectible
/// <see cref="AssemblyLoadContext"/> of its own. A cell that declares nothing that later cells use is unloaded once
/// nothing refers to it any more (the runtime keeps it while a value of the notebook still points into it, e.g. a
/// lambda); a cell that declares methods or types is <em>kept</em>: later cell classes derive from it and their
/// compilations reference its image. Compilations are not kept: memory and compile time stay flat in the number of
/// cells run.
/// </summary>
internal sealed class CellAssemblies
{
    private static readonly CSharpCompilationOptions CompileOptions = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Debug,     // line numbers in stack traces, as the scripting engine had them
            allowUnsafe: false,
            nullableContextOptions: NullableContextOptions.Disable,
            concurrentBuild: false)
        .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
        {
            ["CS0108"] = ReportDiagnostic.Suppress, // a variable of a later cell hides the one of an earlier cell by design
            ["CS0114"] = ReportDiagnostic.Suppress,
        });

    private static readonly EmitOptions PortablePdb = new(debugInformationFormat: DebugInformationFormat.PortablePdb);

    private readonly string _sessionId = Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<string, Assembly> _kept = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _files = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<MetadataReference> _keptReferences = [];

    /// <summary>The assembly name of the cell with sequence number <paramref name="sequence"/>.</summary>
    internal string AssemblyName(int sequence) => AssemblyName("cell", sequence);

    /// <summary>The name of this session's assembly of <paramref name="kind"/> (<c>cell</c>, <c>anonymous</c>) with number <paramref name="sequence"/>.</summary>
    internal string AssemblyName(string kind, int sequence) => $"ecqx-{kind}-{_sessionId}-{sequence}";

    /// <summary>Images of the kept cells (what later cells compile against).</summary>
    internal IReadOnlyList<MetadataReference> KeptReferences => _keptReferences;

    /// <summary>How many cell assemblies are kept.</summary>
    internal int KeptCount => _kept.Count;

    /// <summary>Makes a <c>#r</c> file's assembly loadable by the cells that reference it (into the default context, once).</summary>
    internal void AddFile(string path) => _files.TryAdd(System.IO.Path.GetFileNameWithoutExtension(path), path);

    /// <summary>A compilation of one cell class (nothing is emitted).</summary>
    internal static CSharpCompilation Compile(string assemblyName, string text, string label, IEnumerable<MetadataReference> references)
    {
        // The generated file's own lines (hidden ones) are named "<label>.g": an error there is not a line of the cell.
        SyntaxTree tree = CSharpSyntaxTree.ParseText(SourceText.From(text, System.Text.Encoding.UTF8),
            CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest), path: label + ".g");
        return CSharpCompilation.Create(assemblyName, [tree], references, CompileOptions);
    }

    /// <summary>
    /// Emits <paramref name="compilation"/> and loads it; returns its cell class, or the errors. The load context is
    /// collectible; <see cref="Keep"/> keeps it for later cells.
    /// </summary>
    internal (Type? CellClass, byte[] Image, IReadOnlyList<Diagnostic> Errors) EmitAndLoad(CSharpCompilation compilation, string className)
    {
        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        EmitResult result = compilation.Emit(pe, pdb, options: PortablePdb);
        if (!result.Success)
            return (null, [], result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList());
        pe.Position = 0;
        pdb.Position = 0;
        var context = new CellLoadContext(this, compilation.AssemblyName!);
        Assembly assembly = context.LoadFromStream(pe, pdb);
        return (assembly.GetType(className, throwOnError: true), pe.ToArray(), []);
    }

    /// <summary>Keeps the cell whose class is <paramref name="cellClass"/> (it declared members later cells use).</summary>
    internal void Keep(Type cellClass, byte[] image) => KeepAssembly(cellClass.Assembly, image);

    /// <summary>
    /// Emits <paramref name="compilation"/> (types that later cells use, e.g. <see cref="AnonymousShapes"/>), loads it and keeps
    /// it like a kept cell; returns the errors (none when it was loaded).
    /// </summary>
    internal IReadOnlyList<Diagnostic> EmitAndKeep(CSharpCompilation compilation)
    {
        using var pe = new MemoryStream();
        EmitResult result = compilation.Emit(pe);
        if (!result.Success) return result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        pe.Position = 0;
        Assembly assembly = new CellLoadContext(this, compilation.AssemblyName!).LoadFromStream(pe);
        KeepAssembly(assembly, pe.ToArray());
        return [];
    }

    private void KeepAssembly(Assembly assembly, byte[] image)
    {
        _kept[assembly.GetName().Name!] = assembly;
        _keptReferences.Add(MetadataReference.CreateFromImage(image));
    }

    /// <summary>
    /// Lets the runtime unload a cell that is not kept: at once when nothing refers to it, else once the last value
    /// pointing into it (a lambda stored in a variable, say) is gone.
    /// </summary>
    internal void Release(Type cellClass)
    {
        if (!_kept.ContainsKey(cellClass.Assembly.GetName().Name!) && AssemblyLoadContext.GetLoadContext(cellClass.Assembly) is CellLoadContext context)
            context.Unload();
    }

    /// <summary>How many cell load contexts of this session are alive (unloaded ones disappear after a garbage collection).</summary>
    internal int LiveContexts => AssemblyLoadContext.All.OfType<CellLoadContext>().Count(c => c.Owner == this);

    private Assembly? Resolve(AssemblyName name)
    {
        if (name.Name is null) return null;
        if (_kept.TryGetValue(name.Name, out Assembly? cell)) return cell;
        if (_files.TryGetValue(name.Name, out string? path))
            return AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, name.Name, StringComparison.OrdinalIgnoreCase))
                   ?? AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        return null; // the default context: the framework, ECQx, TorchSharp, Plotly.NET, …
    }

    private sealed class CellLoadContext(CellAssemblies owner, string name) : AssemblyLoadContext(name, isCollectible: true)
    {
        internal CellAssemblies Owner => owner;

        protected override Assembly? Load(AssemblyName assemblyName) => owner.Resolve(assemblyName);
    }
}
