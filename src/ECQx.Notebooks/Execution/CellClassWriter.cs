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
/// usings of the notebook so far and of the cell
/// public class __ecqx_CellN : (the last cell that declared members, or NotebookGlobals)
/// {
///     public static StrongBox&lt;T&gt; __ecqx_vK;                 // one per variable the cell uses or declares
///     public static ref T name => ref __ecqx_vK.Value;      // the variable, by its name (get/set in an async cell)
///     public object __ecqx_Run() { statements; return trailing expression; }
///     the cell's methods, properties and types (public unless they say otherwise)
/// }
/// </code>
/// Variables live in boxes the session keeps, so a variable is the same storage for every cell and every method that
/// uses it. The cell's own text keeps its lines and columns through <c>#line</c> directives, so compiler errors and
/// stack traces name the cell's lines; generated lines are <c>#line hidden</c>.
/// In the <em>probe</em> form the cell's declarations stay local variables: compiled without emitting, it tells the
/// types of <c>var</c> declarations and of the trailing expression.
/// </summary>
internal sealed class CellClassWriter
{
    /// <summary>The name of the method that runs the cell's statements.</summary>
    internal const string RunMethod = "__ecqx_Run";

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

    /// <summary>Where the probe placed each declared variable and the trailing expression (offsets in its text).</summary>
    internal sealed class ProbeMarks
    {
        /// <summary>Offset of each declared variable's name.</summary>
        internal List<(VariableDeclaratorSyntax Declarator, int Offset)> Declarators { get; } = [];

        /// <summary>The span of the trailing expression.</summary>
        internal TextSpan? Trailing { get; set; }
    }

    /// <summary>The probe: declarations as locals, the trailing expression as a statement.</summary>
    internal static string Probe(CellSource cell, string header, string className, string baseClass, IEnumerable<CellVariable> used, ProbeMarks marks)
    {
        var w = new CellClassWriter(cell);
        w.Begin(header, className, baseClass, used);
        foreach (CellSource.Statement s in cell.Statements)
        {
            if (s.Declaration is { } declaration)
            {
                if (s.UsingKeyword is { } keyword) w.Hidden(keyword);
                int start = w.Mapped(declaration, declaration.ToString());
                if (s.UsingKeyword is null) // a using declaration stays local to the cell: not a variable of the notebook
                    foreach (VariableDeclaratorSyntax v in declaration.Variables)
                        marks.Declarators.Add((v, start + v.Identifier.SpanStart - declaration.SpanStart));
                w.Hidden(";");
            }
            else w.Mapped(s.Node, s.Node.ToString());
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
    /// The class that runs: declared variables (<paramref name="declared"/>, by name) are assigned to their boxes,
    /// <c>using</c> declarations stay local, and the trailing expression is returned when it has a value.
    /// </summary>
    internal static string Final(CellSource cell, string header, string className, string baseClass, IEnumerable<CellVariable> used,
                                 IReadOnlyDictionary<string, CellVariable> declared, TrailingValue trailing)
    {
        var w = new CellClassWriter(cell);
        w.Begin(header, className, baseClass, used.Concat(declared.Values));
        foreach (CellSource.Statement s in cell.Statements)
        {
            if (s.Declaration is not { } declaration)
            {
                w.Mapped(s.Node, s.Node.ToString());
            }
            else if (s.UsingKeyword is { } keyword)
            {
                w.Hidden(keyword);
                w.Mapped(declaration, declaration.ToString());
                w.Hidden(";");
            }
            else
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
        }
        if (cell.Trailing is { } expression)
        {
            if (trailing == TrailingValue.Value)
            {
                w.Hidden("return (object)(");
                w.Mapped(expression, expression.ToString());
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

    private void Begin(string header, string className, string baseClass, IEnumerable<CellVariable> variables)
    {
        _text.Append(header);
        foreach (UsingDirectiveSyntax directive in _cell.Usings) Mapped(directive, directive.ToString());
        Hidden($"public class {className} : {baseClass}\n{{");
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
        Hidden("}");
        return _text.ToString();
    }

    /// <summary>Appends <paramref name="text"/> at the line and column where <paramref name="node"/> is in the cell; returns its offset.</summary>
    private int Mapped(SyntaxNode node, string text)
    {
        LinePosition at = _cell.Start(node);
        _text.Append("\n#line ").Append(at.Line + 1).Append(" \"").Append(_cell.Label).Append("\"\n");
        _text.Append(' ', at.Character);
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
