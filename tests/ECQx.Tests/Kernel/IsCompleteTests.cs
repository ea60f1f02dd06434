using ECQx.Notebooks.Kernel;
using Xunit;

namespace ECQx.Tests.Kernel;

/// <summary>
/// The kernel's <c>is_complete</c> answers (<see cref="CodeAssistant.IsComplete"/>): complete code, code that
/// more lines can still finish, and code no further line can repair (Jupyter's <c>invalid</c>).
/// </summary>
public sealed class IsCompleteTests
{
    private static string Status(string code) => CodeAssistant.IsComplete(code)["status"]!.GetValue<string>();

    [Theory]
    [InlineData("var x = 1;")]
    [InlineData("Console.WriteLine(\"a\")")]
    [InlineData("1 + 2")]
    [InlineData("for (;;) { }")]
    [InlineData("void F() {}\nF();")]
    [InlineData("#r \"nuget: TorchSharp-cpu, 0.107.0\"\nvar a = 1;")]
    [InlineData("#!csharp\nvar a = 1;")]
    [InlineData("var s = \"\"\"\n  raw\n  \"\"\";")]
    [InlineData("")]
    public void CodeThatParsesIsComplete(string code) => Assert.Equal("complete", Status(code));

    [Theory]
    [InlineData("if (x) {")]
    [InlineData("class C {")]
    [InlineData("Foo(1,")]
    [InlineData("var y = (1 + ")]
    [InlineData("x.")]
    [InlineData("var a = 1\n")]
    [InlineData("var s = @\"verbatim\nstring")]
    [InlineData("var s = \"\"\"\n  raw, not yet closed")]
    [InlineData("/* a comment")]
    [InlineData("var a = 1; /* a comment")]
    [InlineData("if (a) b(); else")]
    public void CodeThatMoreLinesCanFinishIsIncomplete(string code)
    {
        Assert.Equal("incomplete", Status(code));
        Assert.Equal("    ", CodeAssistant.IsComplete(code)["indent"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("}")]
    [InlineData(")")]
    [InlineData("int 3x = 1;")]
    [InlineData("int 3x = 1;\nif (x) {")]
    [InlineData("}\n{")]
    [InlineData("var a = 1;\n)\nvar b = (")]
    [InlineData("var s = \"abc")]
    [InlineData("Console.WriteLine(\"abc")]
    [InlineData("var c = 'a")]
    public void CodeNoFurtherLineCanRepairIsInvalid(string code) => Assert.Equal("invalid", Status(code));

    /// <summary>Appending lines never turns an <c>invalid</c> answer into a valid submission (the error stays before the end).</summary>
    [Theory]
    [InlineData("}")]
    [InlineData("int 3x = 1;")]
    [InlineData("var s = \"abc")]
    public void InvalidStaysInvalidWhenLinesAreAdded(string code)
    {
        foreach (string more in new[] { "\n{", "\nvar z = 2;", "\n}" })
            Assert.Equal("invalid", Status(code + more));
    }
}
