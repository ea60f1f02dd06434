using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace ECQx.Notebooks.Scripting;

/// <summary>
/// Handles the Polyglot Notebooks lines in a cell before it is compiled: <c>#r "nuget: …"</c>,
/// <c>#r "path.dll"</c>, <c>#i "…"</c> and <c>#!</c> magics. Each handled line is replaced by an empty line,
/// so line numbers in compiler errors and stack traces stay those of the cell.
/// </summary>
internal static partial class CellDirectives
{
    /// <summary>The processed cell: code to compile, references to add, notes for the user.</summary>
    internal sealed record Result(string Code, IReadOnlyList<MetadataReference> References, IReadOnlyList<string> Notes);

    /// <summary>A directive the runner cannot honour, with its 1-based line in the cell.</summary>
    internal sealed class DirectiveException(int line, string message) : Exception(message)
    {
        internal int Line { get; } = line;
    }

    [GeneratedRegex("""^\s*#r\s+"nuget:\s*(?<name>[^,"]+?)\s*(,\s*(?<version>[^"]*?)\s*)?"\s*$""", RegexOptions.IgnoreCase)]
    private static partial Regex NugetReference();

    [GeneratedRegex("""^\s*#r\s+"(?<path>[^"]+)"\s*$""")]
    private static partial Regex FileReference();

    [GeneratedRegex("""^\s*#!\s*(?<name>\S*)""")]
    private static partial Regex Magic();

    [GeneratedRegex("""^\s*#i\s+""")]
    private static partial Regex PackageSource();

    [GeneratedRegex("""^\s*#r\b""")]
    private static partial Regex AnyReference();

    /// <summary>Magics that select the C# kernel (the only kernel the runner has).</summary>
    private static readonly HashSet<string> CSharpMagics = new(StringComparer.OrdinalIgnoreCase) { "csharp", "c#" };

    /// <param name="source">The cell source.</param>
    /// <param name="baseDirectory">Directory that relative <c>#r</c> paths are resolved against (the notebook's).</param>
    /// <param name="preloaded">Simple names of assemblies the runner already references (a <c>#r</c> of one of these is ignored).</param>
    internal static Result Process(string source, string baseDirectory, IReadOnlySet<string> preloaded)
    {
        string[] lines = source.Split('\n');
        var references = new List<MetadataReference>();
        var notes = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            int lineNumber = i + 1;
            if (Magic().Match(line) is { Success: true } magic)
            {
                string name = magic.Groups["name"].Value;
                if (!CSharpMagics.Contains(name))
                    throw new DirectiveException(lineNumber,
                        $"magic command '#!{name}' is not supported by the headless runner; it runs C# cells only ('#!csharp' is accepted).");
                lines[i] = "";
            }
            else if (PackageSource().IsMatch(line))
            {
                lines[i] = ""; // a NuGet source for Polyglot; the runner loads no packages.
            }
            else if (NugetReference().Match(line) is { Success: true } nuget)
            {
                string name = nuget.Groups["name"].Value;
                string? version = nuget.Groups["version"].Success ? nuget.Groups["version"].Value : null;
                try
                {
                    if (CarriedPackages.Check(name, version) is { } note) notes.Add($"line {lineNumber}: {note}");
                }
                catch (NotSupportedException e)
                {
                    throw new DirectiveException(lineNumber, $"#r \"nuget: {name}{(version is null ? "" : ", " + version)}\": {e.Message}");
                }
                lines[i] = "";
            }
            else if (FileReference().Match(line) is { Success: true } file)
            {
                references.AddRange(ResolveFile(file.Groups["path"].Value, lineNumber, baseDirectory, preloaded));
                lines[i] = "";
            }
            else if (AnyReference().IsMatch(line))
            {
                throw new DirectiveException(lineNumber, $"cannot read the reference line '{line.Trim()}'; write #r \"nuget: Name, Version\" or #r \"path/to/File.dll\".");
            }
        }
        return new Result(string.Join('\n', lines), references, notes);
    }

    private static IEnumerable<MetadataReference> ResolveFile(string path, int lineNumber, string baseDirectory, IReadOnlySet<string> preloaded)
    {
        string fileName = Path.GetFileName(path.Replace('\\', '/'));
        string simpleName = fileName.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? fileName[..^4] : fileName;
        // The runner's own copy wins: loading a second ECQx.dll or TorchSharp.dll would split type identities.
        if (preloaded.Contains(simpleName)) return [];
        string full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(baseDirectory, path));
        if (!File.Exists(full))
            throw new DirectiveException(lineNumber, $"#r \"{path}\": file not found (looked at {full}).");
        string local = Path.Combine(AppContext.BaseDirectory, fileName);
        return [MetadataReference.CreateFromFile(File.Exists(local) ? local : full)];
    }
}
