using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// A cell's code read as a C# script and sorted into what <see cref="CellClassWriter"/> needs: its <c>using</c>
/// directives, its members (methods, properties, types, <c>const</c> and <c>static</c> fields: they persist), its
/// statements in order (top-level variable declarations and deconstructions among them: their variables persist too;
/// <c>using var</c> declarations stay local to the cell and are disposed at its end), the trailing expression whose
/// value is the cell's result, and the anonymous shapes it makes (its <c>new { … }</c> are rewritten, see
/// <see cref="AnonymousObjectRewriter"/>).
/// </summary>
internal sealed partial class CellSource
{
    private static readonly CSharpParseOptions ScriptParseOptions =
        CSharpParseOptions.Default.WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest);

    /// <summary>One top-level statement; <see cref="Declaration"/> is set for a variable declaration.</summary>
    /// <param name="Node">The statement, or the declaration (a script parses top-level variables as fields).</param>
    /// <param name="Declaration">The declared variables, when the statement is a declaration.</param>
    /// <param name="UsingKeyword">For a <c>using var</c> declaration: <c>using</c> or <c>await using</c> (local to the cell).</param>
    internal sealed record Statement(SyntaxNode Node, VariableDeclarationSyntax? Declaration, string? UsingKeyword)
    {
        /// <summary>
        /// The variables a deconstruction declares (<c>var (a, (b, c)) = …;</c>, <c>(var a, int b) = …;</c>), in order;
        /// empty for any other statement. <see cref="Node"/> is then the expression statement.
        /// </summary>
        internal IReadOnlyList<SyntaxToken> Deconstructed { get; init; } = [];

        /// <summary>The variables the statement adds to the notebook: a declaration's (not a <c>using</c> declaration's) or a deconstruction's.</summary>
        internal IEnumerable<SyntaxToken> DeclaredIdentifiers =>
            UsingKeyword is not null ? [] : Declaration is { } declaration ? declaration.Variables.Select(v => v.Identifier) : Deconstructed;

        /// <summary>
        /// A deconstruction as an assignment to variables that exist (<c>var (a, b) = f();</c> reads <c>    (a, b) = f();</c>):
        /// the types of its declarations blanked, so every name keeps its column; a discard keeps its type (<c>var _</c>).
        /// </summary>
        internal string DeconstructionAsAssignment()
        {
            char[] text = Node.ToString().ToCharArray();
            var assignment = (AssignmentExpressionSyntax)((ExpressionStatementSyntax)Node).Expression;
            foreach (DeclarationExpressionSyntax declaration in Declarations(assignment.Left).Where(d => d.Designation is not DiscardDesignationSyntax))
                for (int i = declaration.Type.SpanStart; i < declaration.Type.Span.End; i++)
                    if (text[i - Node.SpanStart] is not ('\r' or '\n')) text[i - Node.SpanStart] = ' ';
            return new string(text);
        }
    }

    private CellSource(SourceText text, string label)
    {
        Text = text;
        Label = label;
    }

    /// <summary>The cell's text as compiled (directives blanked, cancellation checks inserted, <c>using</c> of declarations blanked).</summary>
    internal SourceText Text { get; }

    /// <summary>The cell's label, e.g. <c>cell-4</c>: the file name in errors and stack traces.</summary>
    internal string Label { get; }

    /// <summary>The script syntax tree of <see cref="Text"/> (file path <see cref="Label"/>).</summary>
    internal SyntaxTree Tree { get; private set; } = null!;

    /// <summary>The cell's <c>using</c> directives.</summary>
    internal List<UsingDirectiveSyntax> Usings { get; } = [];

    /// <summary>Members that persist: methods, properties, types, <c>const</c>/<c>static</c> fields.</summary>
    internal List<MemberDeclarationSyntax> Members { get; } = [];

    /// <summary>The statements, in order.</summary>
    internal List<Statement> Statements { get; } = [];

    /// <summary>The trailing expression (no semicolon after it), whose value the cell shows.</summary>
    internal ExpressionSyntax? Trailing { get; private set; }

    /// <summary>True when a statement awaits (the cell then runs as an async method).</summary>
    internal bool IsAsync { get; private set; }

    /// <summary>Every identifier the cell mentions (which earlier variables it may use).</summary>
    internal HashSet<string> Identifiers { get; } = new(StringComparer.Ordinal);

    /// <summary>The anonymous shapes the cell makes, by factory number (see <see cref="AnonymousObjectRewriter"/>).</summary>
    internal IReadOnlyList<IReadOnlyList<string>> Shapes { get; private set; } = [];

    /// <summary>Syntax errors of the cell, with its label and lines.</summary>
    internal IReadOnlyList<Diagnostic> SyntaxErrors { get; private set; } = [];

    /// <summary>
    /// Reads <paramref name="code"/> (directives already handled). A top-level <c>using var x = …;</c>, which the
    /// script parser reads as a broken <c>using</c> directive, is read as the declaration it is.
    /// </summary>
    internal static CellSource Read(string code, string label)
    {
        // Blank the keyword (keeping every column) and remember the line: the declaration is then parsed as a variable.
        var usingLines = new Dictionary<int, string>();
        string[] lines = code.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (UsingDeclaration().Match(lines[i]) is not { Success: true } m) continue;
            Group keyword = m.Groups["keyword"];
            usingLines[i] = WhitespaceRun().Replace(keyword.Value, " ");
            lines[i] = lines[i][..keyword.Index] + new string(' ', keyword.Length) + lines[i][(keyword.Index + keyword.Length)..];
        }
        string blanked = usingLines.Count == 0 ? code : string.Join('\n', lines);
        var (named, shapes) = AnonymousObjectRewriter.Rewrite(blanked, ScriptParseOptions);
        string rewritten = CancellationRewriter.Rewrite(named, ScriptParseOptions);
        var source = new CellSource(SourceText.From(rewritten, System.Text.Encoding.UTF8), label) { Shapes = shapes };
        source.Sort(usingLines);
        return source;
    }

    /// <summary>The 0-based line and column where <paramref name="node"/> starts in the cell.</summary>
    internal LinePosition Start(SyntaxNode node) => Text.Lines.GetLinePosition(node.SpanStart);

    private void Sort(Dictionary<int, string> usingLines)
    {
        Tree = CSharpSyntaxTree.ParseText(Text, ScriptParseOptions, path: Label);
        var root = (CompilationUnitSyntax)Tree.GetRoot();
        SyntaxErrors = Tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Usings.AddRange(root.Usings);
        foreach (SyntaxToken token in root.DescendantTokens())
            if (token.IsKind(SyntaxKind.IdentifierToken)) Identifiers.Add(token.ValueText);
        for (int i = 0; i < root.Members.Count; i++)
        {
            MemberDeclarationSyntax member = root.Members[i];
            string? usingKeyword = usingLines.GetValueOrDefault(Start(member).Line);
            switch (member)
            {
                case GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } last } when i == root.Members.Count - 1:
                    Trailing = last.Expression;
                    break;
                case GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax local }:
                    Statements.Add(new Statement(local, local.Declaration, usingKeyword ?? (local.UsingKeyword.IsKind(SyntaxKind.None) ? null : "using")));
                    break;
                case GlobalStatementSyntax { Statement: ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment } deconstruction }
                    when Designated(assignment.Left) is { Count: > 0 } variables:
                    Statements.Add(new Statement(deconstruction, null, null) { Deconstructed = variables });
                    break;
                case GlobalStatementSyntax global:
                    Statements.Add(new Statement(global.Statement, null, null));
                    break;
                case FieldDeclarationSyntax field when usingKeyword is not null || field.Modifiers.Count == 0:
                    Statements.Add(new Statement(field, field.Declaration, usingKeyword));
                    break;
                default:
                    Members.Add(member);
                    break;
            }
        }
        IsAsync = Statements.Select(s => s.Node).Append(Trailing).OfType<SyntaxNode>().Any(Awaits)
                  || usingLines.Values.Any(k => k.StartsWith("await", StringComparison.Ordinal));
    }

    /// <summary>The variables the left side of a deconstruction declares, in order (none for a plain assignment).</summary>
    private static List<SyntaxToken> Designated(ExpressionSyntax left)
    {
        var variables = new List<SyntaxToken>();
        foreach (DeclarationExpressionSyntax declaration in Declarations(left))
            variables.AddRange(declaration.Designation.DescendantNodesAndSelf().OfType<SingleVariableDesignationSyntax>().Select(d => d.Identifier));
        return variables;
    }

    /// <summary>The declarations (<c>var (a, b)</c>, <c>int a</c>) in the tuple structure of a deconstruction's left side.</summary>
    private static IEnumerable<DeclarationExpressionSyntax> Declarations(ExpressionSyntax left) => left switch
    {
        DeclarationExpressionSyntax declaration => [declaration],
        TupleExpressionSyntax tuple => tuple.Arguments.SelectMany(a => Declarations(a.Expression)),
        _ => [],
    };

    /// <summary>True when <paramref name="node"/> awaits outside any lambda or local function of its own.</summary>
    private static bool Awaits(SyntaxNode node) =>
        node.DescendantNodesAndSelf(n => n == node || n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            .Any(n => n is AwaitExpressionSyntax
                      || n is CommonForEachStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword }
                      || n is UsingStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword }
                      || n is LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword });

    /// <summary><c>using</c> (or <c>await using</c>) followed by a type, a name and <c>=</c>: a declaration, not a directive (<c>using A = B;</c> has no name after the type).</summary>
    [GeneratedRegex(@"^\s*(?<keyword>(await\s+)?using)\s+(?!static\b)[^=;()\s][^=;()]*?\s+@?[A-Za-z_]\w*\s*=(?!=)")]
    private static partial Regex UsingDeclaration();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();
}
