using System.Reflection;
using ECQx.Notebooks.Nbformat;
using ECQx.Notebooks.Scripting;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// The one cell-execution core behind the headless runner and the Jupyter kernel. Each cell is compiled on its own as
/// an ordinary class (see <see cref="CellClassWriter"/>) into a collectible load context (see <see cref="CellAssemblies"/>),
/// so nothing grows with the number of cells run: variables live in boxes this session keeps (declared, deconstructed,
/// or of an anonymous type, which becomes one of the session's <see cref="AnonymousShapes"/>), methods and types of a
/// cell persist because later cell classes derive from it, <c>using</c> directives and <c>#r</c> references are
/// carried into every later cell. Also: the cell directives (<c>#r</c>, <c>#!</c>; see <see cref="CellDirectives"/>),
/// output capture while the cell runs (<c>Console</c>, <c>display</c>, display updates), console input (see
/// <see cref="ICellInput"/>), the trailing expression's value, and cancellation (the cell's token is
/// <see cref="CellCancellation.Token"/>; its own loops and waits observe it, see <see cref="CancellationRewriter"/>).
/// A failed cell declares nothing (assignments it made to earlier variables stay, as in a script). Cells run one at a time.
/// </summary>
internal sealed class CellSession
{
    private const string RootClass = "global::ECQx.Notebooks.Scripting.NotebookGlobals";

    private readonly object _gate = new();
    private readonly object _stateGate = new(); // what completion reads from another thread while a cell runs
    private readonly CellAssemblies _assemblies = new();
    private readonly AnonymousShapes _shapes = new();
    private readonly Dictionary<string, CellVariable> _variables = new(StringComparer.Ordinal);
    private readonly List<string> _usings = [];
    private readonly List<MetadataReference> _fileReferences = [];
    private string _baseClass = RootClass;
    private int _cells;
    private int _boxes;

    /// <summary>A session whose relative <c>#r</c> paths start at <paramref name="baseDirectory"/>.</summary>
    internal CellSession(string baseDirectory, PlotlyJsEmbedding plotlyJs)
    {
        BaseDirectory = Path.GetFullPath(baseDirectory);
        Formatter = new MimeFormatter(plotlyJs);
    }

    /// <summary>Where relative <c>#r</c> paths start.</summary>
    internal string BaseDirectory { get; }

    /// <summary>Formats values into MIME bundles for this session (remembers whether plotly.js was sent).</summary>
    internal MimeFormatter Formatter { get; }

    /// <summary>Grows by one with every cell that changed what later cells see (variables, members, usings, references).</summary>
    internal int Version { get; private set; }

    /// <summary>The notebook's variables (the latest of each name), in no particular order.</summary>
    internal IReadOnlyCollection<CellVariable> Variables
    {
        get { lock (_stateGate) return [.. _variables.Values]; }
    }

    /// <summary>The <c>using</c> directives of the cells that ran, in order.</summary>
    internal IReadOnlyList<string> Usings
    {
        get { lock (_stateGate) return [.. _usings]; }
    }

    /// <summary>The class the next cell derives from: the last cell that declared members (fully qualified), or <see cref="NotebookGlobals"/>.</summary>
    internal string BaseClass => _baseClass;

    /// <summary>The class the next cell derives from, at run time (<see cref="NotebookGlobals"/> before any cell declared members).</summary>
    internal Type BaseType { get; private set; } = typeof(NotebookGlobals);

    /// <summary>The assemblies kept: cells that declare members (the others are unloaded) and the anonymous shapes' (see <see cref="AnonymousShapes"/>).</summary>
    internal int KeptAssemblies => _assemblies.KeptCount;

    /// <summary>Load contexts of this session's cells still alive (kept ones, and unloaded ones not yet collected).</summary>
    internal int LiveLoadContexts => _assemblies.LiveContexts;

    /// <summary>Everything the next cell compiles against: the environment, <c>#r</c> files, and the kept cells.</summary>
    internal IReadOnlyList<MetadataReference> References
    {
        get { lock (_stateGate) return [.. ScriptEnvironment.References, .. _fileReferences, .. _assemblies.KeptReferences]; }
    }

    /// <summary>
    /// A capture for the next cell's outputs, echoing to the given writers and passing outputs to <paramref name="listener"/>;
    /// the cell's reads of <see cref="Console.In"/> go to <paramref name="input"/> (default: a clear error, the headless runner has no stdin).
    /// </summary>
    internal CellCapture NewCapture(TextWriter? echoOut = null, TextWriter? echoErr = null, ICellOutputListener? listener = null, ICellInput? input = null) =>
        new(Formatter, _gate, echoOut, echoErr, listener, input);

    /// <summary>
    /// Runs <paramref name="source"/> as the next cell. <paramref name="label"/> (e.g. <c>cell-4</c>) is the
    /// file name that compiler errors and stack frames show. Never throws for errors in the cell.
    /// </summary>
    internal async Task<CellOutcome> ExecuteAsync(string source, string label, CellCapture capture, CancellationToken cancellationToken)
    {
        ConsoleRouter.EnsureInstalled();
        CellDirectives.Result prepared;
        try
        {
            prepared = CellDirectives.Process(source, BaseDirectory, ScriptEnvironment.PreloadedAssemblyNames);
        }
        catch (CellDirectives.DirectiveException e)
        {
            return new CellOutcome(new CellError("DirectiveError", e.Message, e.Line, [$"{label}, line {e.Line}: {e.Message}"]), null, [], []);
        }
        foreach (MetadataReference reference in prepared.References)
        {
            if (reference is PortableExecutableReference { FilePath: { } path } && _fileReferences.All(r => r.Display != reference.Display))
            {
                lock (_stateGate)
                {
                    _fileReferences.Add(reference);
                    _assemblies.AddFile(path);
                    Version++;
                }
            }
        }

        CellSource cell = CellSource.Read(prepared.Code, label);
        if (cell.SyntaxErrors.Count > 0) return new CellOutcome(CellErrors.Compile(cell.SyntaxErrors, label), null, prepared.Notes, []);
        CellProgram program = Prepare(cell);
        if (program.Errors.Count > 0) return new CellOutcome(CellErrors.Compile(program.Errors, label), null, prepared.Notes, []);

        // Set here, inside this async method, so the routing is undone for the caller when it returns.
        Display.Enter(capture);
        CellCancellation.Enter(cancellationToken);
        try
        {
            object? value = await program.Run().ConfigureAwait(false);
            Commit(cell, program);
            MimeBundle? result = value is not null and not DisplayHandle ? Formatter.Format(value) : null;
            var declared = program.Declared.Values.Select(v => new DeclaredVariable(v.Name, v.Type!, v.Value)).ToList();
            return new CellOutcome(null, result, prepared.Notes, declared);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && CellErrors.Innermost(e) is OperationCanceledException)
        {
            return new CellOutcome(CellErrors.Cancelled(e, label), null, prepared.Notes, []);
        }
        catch (Exception e)
        {
            return new CellOutcome(CellErrors.Runtime(e, label), null, prepared.Notes, []);
        }
        finally
        {
            Display.Enter(null);
            CellCancellation.Enter(CancellationToken.None);
            _assemblies.Release(program.CellClass!);
        }
    }

    /// <summary>Compiles and loads a cell: a probe for the types of its declarations and trailing expression when it has any, then the class that runs.</summary>
    private CellProgram Prepare(CellSource cell)
    {
        int sequence = ++_cells;
        string className = "__ecqx_Cell" + sequence;
        string assemblyName = _assemblies.AssemblyName(sequence);
        IReadOnlyList<Diagnostic> shapeErrors;
        lock (_stateGate) shapeErrors = _shapes.Ensure(cell.Shapes, _assemblies, ScriptEnvironment.References);
        if (shapeErrors.Count > 0) return CellProgram.Failed(shapeErrors);
        var frame = new CellClassWriter.Frame(ScriptEnvironment.UsingDirectives, string.Concat(_usings.Select(u => u + "\n")), className, _baseClass,
            string.Concat(cell.Shapes.Select((names, i) => _shapes.Factory(i, names))));
        IReadOnlyList<MetadataReference> references = References;
        var declaredNames = cell.Statements.SelectMany(s => s.DeclaredIdentifiers).Select(i => i.ValueText).ToHashSet(StringComparer.Ordinal);
        var used = _variables.Values.Where(v => cell.Identifiers.Contains(v.Name) && !declaredNames.Contains(v.Name)).ToList();

        var declared = new Dictionary<string, CellVariable>(StringComparer.Ordinal);
        var trailing = CellClassWriter.TrailingValue.None;
        if (declaredNames.Count > 0 || cell.Trailing is not null)
        {
            var marks = new CellClassWriter.ProbeMarks();
            string probeText = CellClassWriter.Probe(cell, frame, used, marks);
            CSharpCompilation probe = CellAssemblies.Compile(assemblyName, probeText, cell.Label, references);
            SyntaxTree tree = probe.SyntaxTrees[0];
            SemanticModel model = probe.GetSemanticModel(tree);
            var duplicates = model.GetDiagnostics().Where(d => d.Id == "CS0128").ToList(); // the same name declared twice in the cell
            if (duplicates.Count > 0) return CellProgram.Failed(duplicates);
            foreach (var (name, offset) in marks.Declared)
            {
                SyntaxNode? declarator = tree.GetRoot().FindToken(offset).Parent;
                var local = declarator is VariableDeclaratorSyntax or SingleVariableDesignationSyntax ? model.GetDeclaredSymbol(declarator) as ILocalSymbol : null;
                string? typeText = TypeText(local?.Type);
                declared[name] = new CellVariable(name, typeText ?? "object", $"__ecqx_v{++_boxes}") { LocalInItsCell = typeText is null };
            }
            if (marks.Trailing is { } span && tree.GetRoot().FindNode(span) is { } node)
            {
                ExpressionSyntax expression = node as ExpressionSyntax ?? (node as ExpressionStatementSyntax)?.Expression ?? node.DescendantNodes().OfType<ExpressionSyntax>().First();
                ITypeSymbol? type = model.GetTypeInfo(expression).Type;
                trailing = type is { SpecialType: SpecialType.System_Void } or { IsRefLikeType: true } ? CellClassWriter.TrailingValue.None : CellClassWriter.TrailingValue.Value;
            }
        }
        string text = CellClassWriter.Final(cell, frame, used, declared, trailing);
        CSharpCompilation compilation = CellAssemblies.Compile(assemblyName, text, cell.Label, references);
        var (cellClass, image, errors) = _assemblies.EmitAndLoad(compilation, CellClassWriter.Namespace + "." + className);
        if (cellClass is null) return CellProgram.Failed(errors);
        foreach (CellVariable v in declared.Values) v.CreateBox(cellClass);
        foreach (CellVariable v in used.Concat(declared.Values)) v.Bind(cellClass);
        return new CellProgram(cellClass, image, declared, []);
    }

    /// <summary>After a cell ran to the end: its variables, members and usings are the notebook's.</summary>
    private void Commit(CellSource cell, CellProgram program)
    {
        lock (_stateGate) CommitLocked(cell, program);
    }

    private void CommitLocked(CellSource cell, CellProgram program)
    {
        foreach (CellVariable v in program.Declared.Values) _variables[v.Name] = v;
        if (cell.Members.Count > 0)
        {
            _assemblies.Keep(program.CellClass!, program.Image);
            _baseClass = "global::" + program.CellClass!.FullName;
            BaseType = program.CellClass;
        }
        foreach (UsingDirectiveSyntax directive in cell.Usings)
            if (!_usings.Contains(directive.ToString())) _usings.Add(directive.ToString());
        if (program.Declared.Count > 0 || cell.Members.Count > 0 || cell.Usings.Count > 0) Version++;
    }

    /// <summary>
    /// A type as C# source for the generated classes: <c>object</c> for an error (the final compilation reports it), null
    /// for a type without a name (anonymous) or with an error or a type parameter inside (a factory of an anonymous shape
    /// whose inference failed): the declaration then stays as written, so the final compilation reports the cell's own error.
    /// </summary>
    private static string? TypeText(ITypeSymbol? type)
    {
        static bool Nameable(ITypeSymbol t) => t switch
        {
            { TypeKind: TypeKind.Error or TypeKind.TypeParameter } or { IsAnonymousType: true } => false,
            INamedTypeSymbol named => named.TypeArguments.All(Nameable) && (named.ContainingType is null || Nameable(named.ContainingType)),
            IArrayTypeSymbol array => Nameable(array.ElementType),
            IPointerTypeSymbol or IFunctionPointerTypeSymbol => false,
            _ => true,
        };
        if (type is null || type.TypeKind == TypeKind.Error) return "object";
        return Nameable(type) ? type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : null;
    }

    /// <summary>A compiled and loaded cell, ready to run, or the errors that stopped it.</summary>
    private sealed record CellProgram(Type? CellClass, byte[] Image, IReadOnlyDictionary<string, CellVariable> Declared, IReadOnlyList<Diagnostic> Errors)
    {
        internal static CellProgram Failed(IReadOnlyList<Diagnostic> errors) => new(null, [], new Dictionary<string, CellVariable>(), errors);

        /// <summary>Runs the cell's statements; the value of its trailing expression (null when there is none).</summary>
        internal async Task<object?> Run()
        {
            object instance = Activator.CreateInstance(CellClass!)!;
            MethodInfo run = CellClass!.GetMethod(CellClassWriter.RunMethod)!;
            if (run.ReturnType == typeof(object)) return run.CreateDelegate<Func<object?>>(instance)();
            return await run.CreateDelegate<Func<Task<object?>>>(instance)().ConfigureAwait(false);
        }
    }
}
