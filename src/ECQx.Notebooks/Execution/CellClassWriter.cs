using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// Writes a cell as an ordinary C# class, which is what lets every cell compile on its own (no chain of script
/// submissions that keeps every earlier compilation alive):
/// <code>
/// the environment's imports
/// namespace __ecqx {
/// usings of the notebook so far and of the cell
/// public class __ecqx_CellN : (the last cell that declared members, or NotebookGlobals)
/// {
///     private static __ecqx_AnonymousM&lt;T1, T2&gt; __a0&lt;T1, T2&gt;(T1 p0, T2 p1) // one per anonymous shape the cell makes
///     public static StrongBox&lt;T&gt; __ecqx_vK;                 // one per variable the cell uses or declares
///     public static ref T name => ref __ecqx_vK.Value;      // the variable, by its name (get/set in an async cell)
///     public object __ecqx_Run() { statements; return trailing expression; }
///     the cell's methods, properties and types (public unless they say otherwise)
/// } }
/// </code>
/// Variables live in boxes the session keeps, so a variable is the same storage for every cell and every method that
/// uses it. The cell's own text keeps its lines and columns through <c>#line</c> directives, so compiler errors and
/// stack traces name the cell's lines; generated lines are <c>#line hidden</c>.
/// In the <em>probe</em> form the cell's declarations and deconstructions stay local variables: compiled without
/// emitting, it tells the types of <c>var</c> declarations, of deconstructed variables and of the trailing expression.
/// </summary>
internal sealed class CellClassWriter
{
    /// <summary>The name of the method that runs the cell's statements.</summary>
    internal const string RunMethod = "__ecqx_Run";

    /// <summary>The namespace of every cell class.</summary>
    internal const string Namespace = "__ecqx";

    private readonly CellSource _cell;
    private readonly StringBuilder _text = new();

    private CellClassWriter(CellSource cell) => _cell = cell;

    /// <summary>What the trailing expression is, as the probe found it.</summary>
    internal enum TrailingValue
    {
        /// <summary>No trailing expression, or one without a value to show (void, a ref struct).</summary>
        None,

        /// <summary>A value, returned as the cell's result.</summary>
        Value,
    }

    /// <summary>What surrounds a cell's code in its class.</summary>
    /// <param name="Header">The environment's imports (outside the namespace).</param>
    /// <param name="NotebookUsings">The <c>using</c> directives of the cells that ran, one a line.</param>
    /// <param name="ClassName">The cell class's name (<c>__ecqx_CellN</c>).</param>
    /// <param name="BaseClass">The class it derives from, fully qualified.</param>
    /// <param name="Factories">The cell's factory methods of anonymous shapes (see <see cref="AnonymousShapes.Factory"/>).</param>
    internal sealed record Frame(string Header, string NotebookUsings, string ClassName, string BaseClass, string Factories);

    /// <summary>Where the probe placed each declared variable and the trailing expression (offsets in its text).</summary>
    internal sealed class ProbeMarks
    {
        /// <summary>Each declared variable's name and the offset of its identifier (in a declarator or a deconstruction's designation).</summary>
        internal List<(string Name, int Offset)> Declared { get; } = [];

        /// <summary>The span of the trailing expression.</summary>
        internal TextSpan? Trailing { get; set; }
    }

    /// <summary>The probe: declarations and deconstructions as locals, the trailing expression as a statement.</summary>
    internal static string Probe(CellSource cell, Frame frame, IEnumerable<CellVariable> used, ProbeMarks marks)
    {
        var w = new CellClassWriter(cell);
        w.Begin(frame, used);
        foreach (CellSource.Statement s in cell.Statements)
        {
            SyntaxNode written = s.Declaration ?? s.Node;
            int start = s.UsingKeyword is { } keyword
                ? w.Mapped(written, written.ToString(), keyword + " ")
                : w.Mapped(written, written.ToString());
            // A using declaration stays local to the cell: not a variable of the notebook.
            foreach (SyntaxToken identifier in s.DeclaredIdentifiers)
                marks.Declared.Add((identifier.ValueText, start + identifier.SpanStart - written.SpanStart));
            if (s.Declaration is not null) w.Hidden(";");
        }
        if (cell.Trailing is { } trailing)
        {
            int start = w.Mapped(trailing, trailing.ToString());
            marks.Trailing = new TextSpan(start, trailing.Span.Length);
            w.Hidden(";");
        }
        return w.End();
    }

    /// <summary>
    /// The class that runs: declared variables (<paramref name="declared"/>, by name) are assigned to their boxes (a
    /// deconstruction becomes an assignment to them), <c>using</c> declarations stay local, and the trailing expression is
    /// returned when it has a value.
    /// </summary>
    internal static string Final(CellSource cell, Frame frame, IEnumerable<CellVariable> used, IReadOnlyDictionary<string, CellVariable> declared, TrailingValue trailing)
    {
        var w = new CellClassWriter(cell);
        w.Begin(frame, used.Concat(declared.Values));
        foreach (CellSource.Statement s in cell.Statements)
        {
            var names = s.DeclaredIdentifiers.Select(i => i.ValueText).ToList();
            if (s.UsingKeyword is { } keyword)
            {
                w.Mapped(s.Declaration!, s.Declaration!.ToString(), keyword + " ");
                w.Hidden(";");
            }
            else if (names.Count == 0)
            {
                w.Mapped(s.Node, s.Node.ToString());
            }
            else if (names.Any(n => declared[n].LocalInItsCell))
            {
                // A type without a name: the cell keeps the locals (its code sees the real type), later cells get objects.
                SyntaxNode written = s.Declaration ?? s.Node;
                w.Mapped(written, written.ToString());
                if (s.Declaration is not null) w.Hidden(";");
                IEnumerable<string> assigned = s.Declaration is { } d ? d.Variables.Where(v => v.Initializer is not null).Select(v => v.Identifier.ValueText) : names;
                foreach (string name in assigned)
                    w.Hidden($"{declared[name].FieldName}.Value = {Identifier(name)};");
            }
            else if (s.Declaration is { } declaration)
            {
                foreach (VariableDeclaratorSyntax v in declaration.Variables)
                {
                    if (v.Initializer is null) continue; // the new box holds the default value
                    string assignment = v.Initializer.Value is InitializerExpressionSyntax array
                        ? $"{v.Identifier.Text} = new {declared[v.Identifier.ValueText].TypeText} {array}" // `int[] a = { 1 };` has no assignment form
                        : v.ToString();
                    w.Mapped(v, assignment);
                    w.Hidden(";");
                }
            }
            else
            {
                w.Mapped(s.Node, s.DeconstructionAsAssignment());
            }
        }
        if (cell.Trailing is { } expression)
        {
            if (trailing == TrailingValue.Value)
            {
                w.Mapped(expression, expression.ToString(), "return (object)(");
                w.Hidden(");");
            }
            else
            {
                w.Mapped(expression, expression.ToString());
                w.Hidden(";");
            }
        }
        return w.End();
    }

    private void Begin(Frame frame, IEnumerable<CellVariable> variables)
    {
        // The environment's imports are outside the namespace, the notebook's usings inside: a cell's `using XPlot.Plotly;`
        // then wins over an imported namespace with the same type names (Chart), as a script's usings do.
        _text.Append(frame.Header).Append("namespace ").Append(Namespace).Append("\n{\n").Append(frame.NotebookUsings);
        foreach (UsingDirectiveSyntax directive in _cell.Usings) Mapped(directive, directive.ToString());
        Hidden($"public class {frame.ClassName} : {frame.BaseClass}\n{{");
        _text.Append(frame.Factories);
        foreach (CellVariable v in variables)
        {
            _text.Append($"public static global::System.Runtime.CompilerServices.StrongBox<{v.TypeText}> {v.FieldName};\n");
            // A ref property is a variable in every respect (ref, out, fields of a struct), but a ref cannot live across an
            // await (`x = await f();`): an async cell gets a get/set property instead.
            _text.Append(_cell.IsAsync
                ? $"public static {v.TypeText} {Identifier(v.Name)} {{ get => {v.FieldName}.Value; set => {v.FieldName}.Value = value; }}\n"
                : $"public static ref {v.TypeText} {Identifier(v.Name)} => ref {v.FieldName}.Value;\n");
        }
        _text.Append(_cell.IsAsync
            ? $"public async global::System.Threading.Tasks.Task<object> {RunMethod}()\n{{\n"
            : $"public object {RunMethod}()\n{{\n");
    }

    private string End()
    {
        Hidden("return null;\n}");
        foreach (MemberDeclarationSyntax member in _cell.Members)
        {
            if (member.Modifiers.Any(m => m.Kind() is SyntaxKind.PublicKeyword or SyntaxKind.PrivateKeyword or SyntaxKind.ProtectedKeyword or SyntaxKind.InternalKeyword))
            {
                Mapped(member, member.ToString());
            }
            else if (member.AttributeLists.Count == 0)
            {
                // Later cells derive from this class: what a cell declares is theirs to use.
                Hidden("public");
                Mapped(member, member.ToString());
            }
            else
            {
                int at = member.AttributeLists.Last().Span.End - member.SpanStart;
                string text = member.ToString();
                Mapped(member, text[..at] + " public" + text[at..]);
            }
        }
        Hidden("}\n}");
        return _text.ToString();
    }

    /// <summary>
    /// Appends <paramref name="text"/> at the line and column where <paramref name="node"/> is in the cell; returns its offset.
    /// With a <paramref name="prefix"/> (generated code that must start the same statement, so that the statement's
    /// sequence point, hence a stack trace's line, is the cell's), an enhanced <c>#line</c> directive maps the text after
    /// the prefix to the node's line and column.
    /// </summary>
    private int Mapped(SyntaxNode node, string text, string? prefix = null)
    {
        LinePosition at = _cell.Start(node);
        if (prefix is null)
        {
            _text.Append("\n#line ").Append(at.Line + 1).Append(" \"").Append(_cell.Label).Append("\"\n");
            _text.Append(' ', at.Character);
        }
        else
        {
            LinePosition end = _cell.Text.Lines.GetLinePosition(node.Span.End);
            _text.Append($"\n#line ({at.Line + 1},{at.Character + 1})-({end.Line + 1},{end.Character + 1}) {prefix.Length} \"{_cell.Label}\"\n");
            _text.Append(prefix);
        }
        int offset = _text.Length;
        _text.Append(text).Append('\n');
        return offset;
    }

    /// <summary>Appends generated text on lines of their own that map to no line of the cell.</summary>
    private void Hidden(string text) => _text.Append("\n#line hidden\n").Append(text).Append('\n');

    /// <summary>A variable's name as C# source (<c>@</c> before a keyword).</summary>
    internal static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
