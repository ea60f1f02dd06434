using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// Makes a cell's own code cooperative with interrupts, since .NET cannot abort a running thread: every
/// loop body (<c>for</c>, <c>foreach</c>, <c>while</c>, <c>do</c>) starts with a call to
/// <see cref="CellCancellation.ThrowIfRequested"/>, and <c>Thread.Sleep(x)</c> / <c>Task.Delay(x)</c>
/// become the cancellable <see cref="CellCancellation.Sleep(int)"/> / <see cref="CellCancellation.Delay(int)"/>.
/// Inserted code carries no line breaks, so line numbers in compiler errors and stack traces stay the cell's.
/// </summary>
internal sealed class CancellationRewriter : CSharpSyntaxRewriter
{
    private const string Home = "global::ECQx.Notebooks.Execution.CellCancellation";

    private static readonly StatementSyntax Check =
        SyntaxFactory.ParseStatement(Home + ".ThrowIfRequested(); ").WithLeadingTrivia().WithTrailingTrivia(SyntaxFactory.Space);

    /// <summary>The rewritten source of a script cell (the text unchanged when there is nothing to rewrite).</summary>
    internal static string Rewrite(string code, CSharpParseOptions parseOptions)
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText(code, parseOptions);
        SyntaxNode root = tree.GetRoot();
        if (!root.DescendantNodes().Any(n => n is ForStatementSyntax or CommonForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax or InvocationExpressionSyntax))
            return code;
        return new CancellationRewriter().Visit(root).ToFullString();
    }

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node)
    {
        var visited = (ForStatementSyntax)base.VisitForStatement(node)!;
        return visited.WithStatement(Guard(visited.Statement));
    }

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node)
    {
        var visited = (ForEachStatementSyntax)base.VisitForEachStatement(node)!;
        return visited.WithStatement(Guard(visited.Statement));
    }

    public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node)
    {
        var visited = (ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!;
        return visited.WithStatement(Guard(visited.Statement));
    }

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node)
    {
        var visited = (WhileStatementSyntax)base.VisitWhileStatement(node)!;
        return visited.WithStatement(Guard(visited.Statement));
    }

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node)
    {
        var visited = (DoStatementSyntax)base.VisitDoStatement(node)!;
        return visited.WithStatement(Guard(visited.Statement));
    }

    public override SyntaxNode? VisitInvocationExpression(InvocationExpressionSyntax node)
    {
        var visited = (InvocationExpressionSyntax)base.VisitInvocationExpression(node)!;
        if (visited.Expression is not MemberAccessExpressionSyntax { Name: IdentifierNameSyntax name } access
            || visited.ArgumentList.Arguments.Count != 1)
            return visited;
        string target = access.Expression.ToString().Replace(" ", "", StringComparison.Ordinal);
        string? replacement = (name.Identifier.ValueText, target) switch
        {
            ("Sleep", "Thread" or "System.Threading.Thread" or "global::System.Threading.Thread") => "Sleep",
            ("Delay", "Task" or "System.Threading.Tasks.Task" or "global::System.Threading.Tasks.Task") => "Delay",
            _ => null,
        };
        if (replacement is null) return visited;
        ExpressionSyntax callee = SyntaxFactory.ParseExpression(Home + "." + replacement);
        return visited.WithExpression(callee.WithTriviaFrom(visited.Expression));
    }

    private static StatementSyntax Guard(StatementSyntax body) => body switch
    {
        BlockSyntax block => block.WithStatements(block.Statements.Insert(0, Check)),
        _ => SyntaxFactory.Block(Check, body.WithoutTrivia())
            .WithLeadingTrivia(body.GetLeadingTrivia()).WithTrailingTrivia(body.GetTrailingTrivia()),
    };
}
