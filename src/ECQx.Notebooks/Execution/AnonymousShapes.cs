using System.Text;
using Microsoft.CodeAnalysis;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// The session's stand-ins for anonymous types: one public generic record per list of property names
/// (<c>{ X, Name }</c> is <c>__ecqx.__ecqx_Anonymous1&lt;T1, T2&gt;(T1 X, T2 Name)</c>), whose type arguments are the
/// property types. A cell's anonymous object creations are rewritten to make these (see
/// <see cref="AnonymousObjectRewriter"/>), so a variable holding one, or a list of them, has a type that later cells
/// can name: it persists like any other variable, and LINQ, lambdas and extension methods over it compile as they
/// did in its own cell. Like an anonymous type, a shape has read-only (init) properties, value equality, a
/// <c>with</c> expression and the text <c>{ X = 1, Name = a }</c>; unlike one, the same names in two cells are the same type.
/// New shapes are compiled into a small assembly of their own that the session keeps (cells reference it); a shape
/// is compiled once per session, so cells that are run again add nothing.
/// </summary>
internal sealed class AnonymousShapes
{
    /// <summary>The prefix of the shapes' type names (in <see cref="CellClassWriter.Namespace"/>).</summary>
    internal const string TypePrefix = "__ecqx_Anonymous";

    private readonly Dictionary<string, string> _typeNames = new(StringComparer.Ordinal);
    private int _assemblies;

    /// <summary>How many shapes the session has compiled.</summary>
    internal int Count => _typeNames.Count;

    /// <summary>
    /// Compiles the shapes of <paramref name="shapes"/> that the session does not have yet (one assembly for all of them)
    /// and keeps them in <paramref name="assemblies"/>; returns the compiler's errors (none when all went well).
    /// </summary>
    internal IReadOnlyList<Diagnostic> Ensure(IEnumerable<IReadOnlyList<string>> shapes, CellAssemblies assemblies, IEnumerable<MetadataReference> references)
    {
        var missing = shapes.Where(s => !_typeNames.ContainsKey(Key(s))).DistinctBy(Key).ToList();
        if (missing.Count == 0) return [];
        var text = new StringBuilder("namespace ").Append(CellClassWriter.Namespace).Append("\n{\n");
        var added = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (IReadOnlyList<string> names in missing)
        {
            string typeName = TypePrefix + (_typeNames.Count + added.Count + 1);
            added[Key(names)] = $"global::{CellClassWriter.Namespace}.{typeName}";
            text.Append(Declaration(typeName, names));
        }
        text.Append("}\n");
        string assemblyName = assemblies.AssemblyName("anonymous", ++_assemblies);
        IReadOnlyList<Diagnostic> errors = assemblies.EmitAndKeep(CellAssemblies.Compile(assemblyName, text.ToString(), "anonymous-shapes", references));
        if (errors.Count == 0)
            foreach (var (key, typeName) in added) _typeNames[key] = typeName;
        return errors;
    }

    /// <summary>
    /// The factory method <c>__aK</c> of a cell class for the shape <paramref name="names"/> (compiled by <see cref="Ensure"/>):
    /// private, so each cell has its own numbering and a later cell class that derives from this one does not see it.
    /// </summary>
    internal string Factory(int number, IReadOnlyList<string> names)
    {
        string type = _typeNames[Key(names)];
        string name = AnonymousObjectRewriter.FactoryPrefix + number;
        if (names.Count == 0) return $"private static {type} {name}() => new {type}();\n";
        string typeParameters = string.Join(", ", names.Select((_, i) => "__T" + i));
        string parameters = string.Join(", ", names.Select((_, i) => $"__T{i} p{i}"));
        string arguments = string.Join(", ", names.Select((_, i) => "p" + i));
        return $"private static {type}<{typeParameters}> {name}<{typeParameters}>({parameters}) => new {type}<{typeParameters}>({arguments});\n";
    }

    /// <summary>A sealed positional record with the shape's properties in order and the text of an anonymous type.</summary>
    private static string Declaration(string typeName, IReadOnlyList<string> names)
    {
        string[] identifiers = names.Select(CellClassWriter.Identifier).ToArray();
        string text = names.Count == 0
            ? "\"{ }\""
            : "\"{ " + string.Join(" + \", ", names.Select((n, i) => $"{n} = \" + {identifiers[i]}")) + " + \" }\"";
        if (names.Count == 0)
            return $"public sealed record {typeName}\n{{\npublic override string ToString() => {text};\n}}\n";
        string typeParameters = string.Join(", ", names.Select((_, i) => "__T" + i));
        string parameters = string.Join(", ", identifiers.Select((n, i) => $"__T{i} {n}"));
        return $"public sealed record {typeName}<{typeParameters}>({parameters})\n{{\npublic override string ToString() => {text};\n}}\n";
    }

    private static string Key(IReadOnlyList<string> names) => string.Join(",", names);
}
