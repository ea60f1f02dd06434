using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// Rewrites a cell's anonymous object creations into calls of factories that make values of the session's
/// anonymous shapes (see <see cref="AnonymousShapes"/>), because a real anonymous type is internal to the cell's own
/// assembly, which later cells cannot name: <c>new { X = 1, r.Name }</c> becomes <c>__a0(    1, r.Name)</c>, where
/// <c>__a0&lt;T1, T2&gt;(T1 X, T2 Name)</c> is a factory the cell class declares (<see cref="CellClassWriter"/>) and the
/// compiler infers the property types as it does for an anonymous type. Names, separators and braces are blanked or
/// replaced in place, so the members' code keeps its lines, and its columns where the factory's name fits in the text
/// of <c>new {</c> (as written so, for the first ten shapes of a cell; else the rest of that line moves right).
/// Creations the compiler would refuse as anonymous types are left as they are, so that its own error is shown:
/// a member whose value is a lambda, <c>null</c> or <c>default</c>, a name it cannot infer, a repeated name, and names
/// that a record declares itself (<c>ToString</c>, <c>Equals</c>, …; these stay anonymous types of their cell).
/// </summary>
internal static class AnonymousObjectRewriter
{
    /// <summary>The prefix of the cell class's factory methods: <c>__a0</c>, <c>__a1</c>, ….</summary>
    internal const string FactoryPrefix = "__a";

    private static readonly HashSet<string> RecordMemberNames = new(StringComparer.Ordinal)
    {
        "ToString", "Equals", "GetHashCode", "GetType", "EqualityContract", "Deconstruct", "PrintMembers", "MemberwiseClone", "Finalize",
    };

    /// <summary>
    /// The rewritten code, and the shapes it uses: the property names of each, in the order of the factory numbers
    /// (<c>__a0</c> makes <c>shapes[0]</c>).
    /// </summary>
    internal static (string Code, IReadOnlyList<IReadOnlyList<string>> Shapes) Rewrite(string code, CSharpParseOptions parseOptions)
    {
        if (!code.Contains("new", StringComparison.Ordinal)) return (code, []);
        SyntaxNode root = CSharpSyntaxTree.ParseText(code, parseOptions).GetRoot();
        var creations = root.DescendantNodes().OfType<AnonymousObjectCreationExpressionSyntax>().ToList();
        if (creations.Count == 0) return (code, []);

        var shapes = new List<IReadOnlyList<string>>();
        var factories = new Dictionary<string, int>(StringComparer.Ordinal);
        var edits = new List<(int Start, int Length, string Text)>();
        foreach (AnonymousObjectCreationExpressionSyntax creation in creations)
        {
            if (Names(creation) is not { } names) continue;
            string key = string.Join(",", names);
            if (!factories.TryGetValue(key, out int factory))
            {
                factory = shapes.Count;
                factories[key] = factory;
                shapes.Add(names);
            }
            // `new {` becomes `__aK(`, padded with blanks; where it does not fit (`new{`, K > 9) the rest of that line moves right.
            int open = creation.NewKeyword.SpanStart, openEnd = creation.OpenBraceToken.Span.End;
            string call = FactoryPrefix + factory + "(";
            int lineBreak = code.IndexOfAny(['\r', '\n'], open, openEnd - open);
            int covered = Math.Min(call.Length, (lineBreak < 0 ? openEnd : lineBreak) - open);
            edits.Add((open, openEnd - open, call + Blank(code, open + covered, openEnd)));
            foreach (AnonymousObjectMemberDeclaratorSyntax member in creation.Initializers)
                if (member.NameEquals is { } nameEquals)
                    edits.Add((nameEquals.SpanStart, member.Expression.SpanStart - nameEquals.SpanStart, Blank(code, nameEquals.SpanStart, member.Expression.SpanStart)));
            if (creation.Initializers.SeparatorCount == creation.Initializers.Count && creation.Initializers.Count > 0) // a trailing comma
                edits.Add((creation.Initializers.GetSeparator(creation.Initializers.Count - 1).SpanStart, 1, " "));
            edits.Add((creation.CloseBraceToken.SpanStart, 1, ")"));
        }
        if (edits.Count == 0) return (code, []);

        var text = new StringBuilder(code);
        foreach (var (start, length, replacement) in edits.OrderByDescending(e => e.Start))
            text.Remove(start, length).Insert(start, replacement);
        return (text.ToString(), shapes);
    }

    /// <summary>The property names of <paramref name="creation"/>, or null when it is left an anonymous type (see the class summary).</summary>
    private static List<string>? Names(AnonymousObjectCreationExpressionSyntax creation)
    {
        if (creation.OpenBraceToken.IsMissing || creation.CloseBraceToken.IsMissing) return null;
        var names = new List<string>();
        foreach (AnonymousObjectMemberDeclaratorSyntax member in creation.Initializers)
        {
            if (member.Expression is AnonymousFunctionExpressionSyntax
                || member.Expression.IsKind(SyntaxKind.NullLiteralExpression) || member.Expression.IsKind(SyntaxKind.DefaultLiteralExpression))
                return null;
            string? name = member.NameEquals?.Name.Identifier.ValueText ?? member.Expression.TryGetInferredMemberName();
            if (string.IsNullOrEmpty(name) || RecordMemberNames.Contains(name) || names.Contains(name)) return null;
            names.Add(name);
        }
        return names;
    }

    /// <summary>Spaces for the text between <paramref name="start"/> and <paramref name="end"/>, keeping its line breaks.</summary>
    private static string Blank(string code, int start, int end)
    {
        var blank = new StringBuilder(end - start);
        for (int i = start; i < end; i++) blank.Append(code[i] is '\r' or '\n' ? code[i] : ' ');
        return blank.ToString();
    }
}
