using ECQx.Notebooks;
using ECQx.Notebooks.Scripting;
using FsCheck;
using FsCheck.Xunit;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace ECQx.Tests.Notebooks;

public sealed class NotebookParametersTests
{
    [Fact]
    public void PairsSplitAtTheFirstEqualsSign()
    {
        var p = NotebookParameters.Parse(["a=1", "url=http://x/?q=1", "empty="]);
        Assert.Equal([("a", "1"), ("url", "http://x/?q=1"), ("empty", "")], p.Select(kv => (kv.Key, kv.Value)));
    }

    [Theory]
    [InlineData("novalue", "no '='")]
    [InlineData("1abc=2", "not a C# variable name")]
    [InlineData("class=2", "not a C# variable name")]
    public void MalformedPairsAreRejectedNamingThePair(string pair, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => NotebookParameters.Parse([pair]));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void ANameGivenTwiceIsRejected() =>
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => NotebookParameters.Parse(["a=1", "a=2"])).Message);

    [Theory]
    [InlineData(typeof(int), " 42 ", "n = 42;")]
    [InlineData(typeof(long), "-7", "n = -7L;")]
    [InlineData(typeof(bool), "True", "n = true;")]
    [InlineData(typeof(double), "1e-3", "n = 0.001d;")]
    [InlineData(typeof(float), "2.5", "n = 2.5f;")]
    [InlineData(typeof(decimal), "0.10", "n = 0.10m;")]
    [InlineData(typeof(int?), "3", "n = 3;")]
    [InlineData(typeof(string), "tab\there", "n = \"tab\\there\";")]
    public void AssignmentsAreTypedByTheDeclaredVariable(Type type, string value, string expected) =>
        Assert.Equal(expected, NotebookParameters.Assignment("n", value, type));

    [Theory]
    [InlineData(typeof(int), "2.5", "not an int")]
    [InlineData(typeof(bool), "yes", "not a bool")]
    [InlineData(typeof(double), "NaN", "not a double")]
    [InlineData(typeof(DateTime), "2020-01-01", "only bool, int")]
    public void ValuesThatDoNotFitTheTypeAreRejected(Type type, string value, string reason) =>
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => NotebookParameters.Assignment("n", value, type)).Message);

    [Property(MaxTest = 200)]
    public bool DoubleLiteralsRoundTrip(NormalFloat x)
    {
        string statement = NotebookParameters.Assignment("v", x.Get.ToString("R", System.Globalization.CultureInfo.InvariantCulture), typeof(double));
        var right = ((AssignmentExpressionSyntax)SyntaxFactory.ParseExpression(statement.TrimEnd(';'))).Right;
        double sign = 1;
        if (right is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression } minus)
        {
            sign = -1;
            right = minus.Operand;
        }
        return right is LiteralExpressionSyntax literal && literal.Token.Value is double d && (sign * d).Equals(x.Get);
    }

    [Property(MaxTest = 200)]
    public bool StringLiteralsRoundTrip(NonNull<string> s)
    {
        string statement = NotebookParameters.Assignment("v", s.Get, typeof(string));
        var expr = SyntaxFactory.ParseExpression(statement.TrimEnd(';'));
        return !expr.ContainsDiagnostics
               && ((AssignmentExpressionSyntax)expr).Right is LiteralExpressionSyntax lit
               && (string?)lit.Token.Value == s.Get;
    }
}
