using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ECQx.Notebooks.Execution;
using ECQx.Notebooks.Scripting;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Completion;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.FindSymbols;
using Microsoft.CodeAnalysis.Host.Mef;
using Microsoft.CodeAnalysis.Text;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// Editor help for the kernel: <c>is_complete</c> (Roslyn's complete-submission test), <c>complete</c>
/// (Roslyn's completion service) and <c>inspect</c> (signature and XML-doc summary of the symbol at the
/// cursor). Completion and inspection see the session as its next cell would: a Roslyn workspace holds two script
/// submissions, a <em>context</em> (the session's <c>using</c> directives and its variables, declared with their
/// types; rebuilt when the session changed) and the code being edited, with the session's references and, as
/// globals, the class the next cell derives from (its methods and types, and <see cref="NotebookGlobals"/>).
/// The workspace does not grow with the cells run. Cursor positions are in Unicode code points, as the protocol
/// (5.2 and later) counts them.
/// </summary>
internal sealed partial class CodeAssistant : IDisposable
{
    private static readonly CSharpParseOptions ParseOptions =
        CSharpParseOptions.Default.WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest);

    private static readonly SymbolDisplayFormat SignatureFormat = SymbolDisplayFormat.MinimallyQualifiedFormat
        .WithMemberOptions(SymbolDisplayMemberOptions.IncludeParameters | SymbolDisplayMemberOptions.IncludeType
                           | SymbolDisplayMemberOptions.IncludeContainingType | SymbolDisplayMemberOptions.IncludeRef)
        .WithParameterOptions(SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeName
                              | SymbolDisplayParameterOptions.IncludeDefaultValue | SymbolDisplayParameterOptions.IncludeParamsRefOut)
        .WithKindOptions(SymbolDisplayKindOptions.IncludeTypeKeyword);

    private readonly CellSession _session;
    private readonly object _gate = new();
    private readonly AdhocWorkspace _workspace = new(MefHostServices.Create(MefHostServices.DefaultAssemblies));
    private readonly Dictionary<string, MetadataReference> _documented = new(StringComparer.Ordinal);
    private ProjectId? _context;
    private int _contextVersion = -1;

    internal CodeAssistant(CellSession session) => _session = session;

    /// <summary>
    /// The <c>is_complete_reply</c> content from Roslyn's parse of the code as a script submission:
    /// <c>complete</c> when it parses without errors; <c>incomplete</c> (with an indent) when Roslyn says more
    /// lines are needed and every syntax error lies in the last token or after it (what more lines can still
    /// fix: an open brace, a trailing operator, an open verbatim string or comment); <c>invalid</c> otherwise
    /// (an error before that, which no further line can repair: <c>}</c> with nothing open, <c>int 3x = 1;</c>).
    /// </summary>
    internal static JsonObject IsComplete(string code)
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText(BlankMagics(code), ParseOptions);
        var errors = tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (SyntaxFactory.IsCompleteSubmission(tree))
            return new JsonObject { ["status"] = errors.Count == 0 ? "complete" : "invalid" };
        // A regular string or character literal cannot span lines: "newline in constant" (CS1010) is never fixed by more lines.
        if (errors.Any(d => d.Id == "CS1010")) return new JsonObject { ["status"] = "invalid" };
        SyntaxToken last = tree.GetRoot().GetLastToken(includeZeroWidth: false);
        // Span, not FullSpan: skipped tokens before the last one (a stray '}') sit in its leading trivia.
        int fixableFrom = last.IsKind(SyntaxKind.None) ? 0 : last.Span.Start;
        return errors.All(d => d.Location.SourceSpan.Start >= fixableFrom)
            ? new JsonObject { ["status"] = "incomplete", ["indent"] = "    " }
            : new JsonObject { ["status"] = "invalid" };
    }

    /// <summary>The <c>complete_reply</c> content for the code and cursor.</summary>
    internal JsonObject Complete(string code, int cursorCodePoints)
    {
        lock (_gate)
        {
            int cursor = Utf16Index(code, cursorCodePoints);
            Document document = DocumentFor(code);
            CompletionService service = CompletionService.GetService(document)
                                        ?? throw new InvalidOperationException("Roslyn's C# completion service is not available.");
            CompletionList list = service.GetCompletionsAsync(document, cursor).GetAwaiter().GetResult();
            int start = Math.Min(list.Span.Start, cursor);
            string typed = code[start..cursor];
            var items = list.ItemsList
                .Where(i => i.FilterText.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                .GroupBy(i => i.DisplayText, StringComparer.Ordinal).Select(g => g.First())
                .OrderBy(i => i.FilterText.StartsWith(typed, StringComparison.Ordinal) ? 0 : 1)
                .ThenBy(i => i.SortText, StringComparer.OrdinalIgnoreCase)
                .ToList();
            int startCodePoints = CodePointIndex(code, start);
            return new JsonObject
            {
                ["status"] = "ok",
                ["matches"] = new JsonArray(items.Select(i => (JsonNode?)JsonValue.Create(i.DisplayText)).ToArray()),
                ["cursor_start"] = startCodePoints,
                ["cursor_end"] = cursorCodePoints,
                ["metadata"] = new JsonObject
                {
                    ["_jupyter_types_experimental"] = new JsonArray(items.Select(i => (JsonNode?)new JsonObject
                    {
                        ["start"] = startCodePoints, ["end"] = cursorCodePoints, ["text"] = i.DisplayText,
                        ["type"] = i.Tags.FirstOrDefault()?.ToLowerInvariant() ?? "",
                    }).ToArray()),
                },
            };
        }
    }

    /// <summary>The <c>inspect_reply</c> content: the symbol at (or just before) the cursor, its signature and documentation summary.</summary>
    internal JsonObject Inspect(string code, int cursorCodePoints)
    {
        lock (_gate)
        {
            int cursor = Utf16Index(code, cursorCodePoints);
            Document document = DocumentFor(code);
            SemanticModel model = document.GetSemanticModelAsync().GetAwaiter().GetResult()!;
            ISymbol? symbol = null;
            foreach (int position in new[] { cursor, cursor - 1 }.Where(p => p >= 0 && p <= code.Length))
            {
                symbol = SymbolFinder.FindSymbolAtPositionAsync(model, position, _workspace).GetAwaiter().GetResult();
                if (symbol is not null) break;
            }
            if (symbol is null) return new JsonObject { ["status"] = "ok", ["found"] = false, ["data"] = new JsonObject(), ["metadata"] = new JsonObject() };
            string signature = CellErrors.Readable(symbol.ToDisplayString(SignatureFormat));
            string? summary = Summary(symbol);
            string text = summary is null ? signature : signature + "\n\n" + summary;
            return new JsonObject
            {
                ["status"] = "ok",
                ["found"] = true,
                ["data"] = new JsonObject { ["text/plain"] = text },
                ["metadata"] = new JsonObject(),
            };
        }
    }

    public void Dispose() => _workspace.Dispose();

    /// <summary>A document with <paramref name="code"/> as the submission after the session's context.</summary>
    private Document DocumentFor(string code)
    {
        if (_context is null || _contextVersion != _session.Version)
        {
            if (_context is not null) _workspace.TryApplyChanges(_workspace.CurrentSolution.RemoveProject(_context));
            _context = null;
            _contextVersion = _session.Version;
            _context = AddProject(ContextSource(), "context").Id;
        }
        Project scratch = AddProject(BlankMagics(code), "edit");
        Document document = scratch.Documents.Single();
        // The scratch project is dropped again, so the next request starts from the context alone.
        _workspace.TryApplyChanges(_workspace.CurrentSolution.RemoveProject(scratch.Id));
        return document;
    }

    /// <summary>The session's usings and variables as a script submission (only their names and types matter here).</summary>
    private string ContextSource()
    {
        var text = new System.Text.StringBuilder();
        foreach (string directive in _session.Usings) text.Append(directive).Append('\n');
        foreach (CellVariable v in _session.Variables) text.Append(v.TypeText).Append(' ').Append(CellClassWriter.Identifier(v.Name)).Append(";\n");
        return text.ToString();
    }

    private Project AddProject(string code, string name)
    {
        var projectId = ProjectId.CreateNewId(name);
        var documentId = DocumentId.CreateNewId(projectId, name);
        var info = ProjectInfo.Create(
            projectId, VersionStamp.Create(), name, name, LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, usings: ScriptEnvironment.Imports),
            parseOptions: ParseOptions,
            documents: [DocumentInfo.Create(documentId, name + ".csx", sourceCodeKind: SourceCodeKind.Script,
                loader: TextLoader.From(TextAndVersion.Create(SourceText.From(code), VersionStamp.Create())))],
            projectReferences: _context is null ? [] : [new ProjectReference(_context)],
            metadataReferences: References(),
            isSubmission: true,
            hostObjectType: _session.BaseType);
        Solution solution = _workspace.CurrentSolution.AddProject(info);
        _workspace.TryApplyChanges(solution);
        return _workspace.CurrentSolution.GetProject(projectId)!;
    }

    /// <summary>The session's references, with XML documentation where a <c>.xml</c> file lies beside the assembly or in the reference pack.</summary>
    private List<MetadataReference> References()
    {
        var result = new List<MetadataReference>();
        foreach (MetadataReference reference in _session.References)
        {
            if (reference is not PortableExecutableReference { FilePath: { } path })
            {
                result.Add(reference);
                continue;
            }
            if (!_documented.TryGetValue(path, out MetadataReference? documented))
            {
                string? xml = DocumentationFile(path);
                documented = xml is null ? reference : MetadataReference.CreateFromFile(path, documentation: XmlDocumentationProvider.CreateFromFile(xml));
                _documented[path] = documented;
            }
            result.Add(documented);
        }
        return result;
    }

    private static string? DocumentationFile(string assemblyPath)
    {
        string beside = Path.ChangeExtension(assemblyPath, ".xml");
        if (File.Exists(beside)) return beside;
        // The shared framework ships no XML docs; the SDK's reference pack of the same version does.
        string? framework = Path.GetDirectoryName(typeof(object).Assembly.Location);
        if (framework is null || !string.Equals(Path.GetDirectoryName(assemblyPath), framework, StringComparison.Ordinal)) return null;
        string version = Path.GetFileName(framework);
        string? dotnetRoot = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(framework)));
        if (dotnetRoot is null) return null;
        string packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        if (!Directory.Exists(packs)) return null;
        string? pack = Directory.Exists(Path.Combine(packs, version)) ? Path.Combine(packs, version)
            : Directory.EnumerateDirectories(packs).Order(StringComparer.Ordinal).LastOrDefault();
        if (pack is null) return null;
        string? refDir = Directory.Exists(Path.Combine(pack, "ref")) ? Directory.EnumerateDirectories(Path.Combine(pack, "ref")).FirstOrDefault() : null;
        string? xmlPath = refDir is null ? null : Path.Combine(refDir, Path.GetFileNameWithoutExtension(assemblyPath) + ".xml");
        return xmlPath is not null && File.Exists(xmlPath) ? xmlPath : null;
    }

    private static string? Summary(ISymbol symbol)
    {
        string? xml = symbol.GetDocumentationCommentXml(expandIncludes: true);
        if (string.IsNullOrWhiteSpace(xml) && symbol.OriginalDefinition is { } original && !SymbolEqualityComparer.Default.Equals(original, symbol))
            xml = original.GetDocumentationCommentXml(expandIncludes: true);
        if (string.IsNullOrWhiteSpace(xml)) return null;
        try
        {
            XElement? summary = XElement.Parse(xml).Element("summary");
            if (summary is null) return null;
            foreach (XElement reference in summary.Descendants().Where(e => e.Name == "see" || e.Name == "paramref" || e.Name == "typeparamref").ToList())
            {
                string target = (string?)reference.Attribute("cref") ?? (string?)reference.Attribute("name") ?? (string?)reference.Attribute("langword") ?? reference.Value;
                if (target.Length > 2 && target[1] == ':') target = target[2..];
                reference.ReplaceWith(new XText(target));
            }
            return Whitespace().Replace(summary.Value, " ").Trim();
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    /// <summary>Blanks <c>#!</c> and <c>#i</c> lines (Polyglot magics), which are not C#; <c>#r</c> is script syntax.</summary>
    private static string BlankMagics(string code) => MagicLine().Replace(code, "");

    private static int Utf16Index(string text, int codePoints)
    {
        int index = 0;
        for (int n = 0; n < codePoints && index < text.Length; n++)
            index += char.IsHighSurrogate(text[index]) && index + 1 < text.Length ? 2 : 1;
        return index;
    }

    private static int CodePointIndex(string text, int utf16Index)
    {
        int count = 0;
        for (int i = 0; i < utf16Index && i < text.Length; i++)
            if (!(char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1]))) count++;
        return count;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?m)^[ \t]*#[!i]\b?.*$")]
    private static partial Regex MagicLine();
}
