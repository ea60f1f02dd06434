using ECQx.Notebooks;
using ECQx.Notebooks.Scripting;
using Xunit;

namespace ECQx.Tests.Notebooks;

public sealed class CellDirectivesTests
{
    private static readonly IReadOnlySet<string> Preloaded = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "ECQx", "TorchSharp" };

    [Fact]
    public void HandledLinesBecomeEmptySoLineNumbersStay()
    {
        string source = "#!csharp\r\n#r \"nuget: TorchSharp, 0.107.0\"\n  #r \"bin/ECQx.dll\"\n#i \"nuget: https://example.org/v3/index.json\"\nvar a = 1;\n#r \"nuget:Plotly.NET\"\na";
        var result = CellDirectives.Process(source, "/tmp", Preloaded);

        Assert.Equal(["", "", "", "", "var a = 1;", "", "a"], result.Code.Split('\n'));
        Assert.Empty(result.References);
        Assert.Empty(result.Notes);
    }

    [Fact]
    public void ReferenceToAnExistingForeignAssemblyIsAddedRelativeToTheNotebook()
    {
        string dir = Directory.CreateTempSubdirectory("ecqx-directives-").FullName;
        try
        {
            string dll = typeof(Xunit.Assert).Assembly.Location;
            File.Copy(dll, Path.Combine(dir, "Foreign.dll"));
            var result = CellDirectives.Process("#r \"Foreign.dll\"\n1", dir, Preloaded);
            Assert.Single(result.References);
            Assert.Equal("\n1", result.Code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("#r nuget:Foo", 1, "cannot read the reference line")]
    [InlineData("\n#!time", 2, "'#!time'")]
    [InlineData("#r \"nuget: Foo.Bar, 1.0\"", 1, "'Foo.Bar' is not available")]
    public void UnsupportedLinesNameThemselvesAndTheirLine(string source, int line, string message)
    {
        var e = Assert.Throws<CellDirectives.DirectiveException>(() => CellDirectives.Process(source, "/tmp", Preloaded));
        Assert.Equal(line, e.Line);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void CarriedPackagesKnowTheirVersions()
    {
        Assert.Null(CarriedPackages.Check("torchsharp", "0.107.0"));
        Assert.Null(CarriedPackages.Check("Plotly.NET", null));
        Assert.Contains("6.0.0", CarriedPackages.Check("Plotly.NET", "5.0.0"));
        Assert.Null(CarriedPackages.Check("XPlot.Plotly", "4.1.0"));
        Assert.Throws<NotSupportedException>(() => CarriedPackages.Check("Newtonsoft.Json", "13.0.3"));
    }

    [Fact]
    public void TheLibraryPackageIsCarriedAtTheRunnersOwnVersion()
    {
        string carried = CarriedPackages.All["ECQx.Research"]!;
        Assert.Equal(typeof(ECQx.TorchRuntime).Assembly.GetName().Version!.ToString(3), carried.Split('-')[0]);
        var result = CellDirectives.Process($"#r \"nuget: ECQx.Research, {carried}\"\n1", "/tmp", Preloaded);
        Assert.Equal("\n1", result.Code);
        Assert.Empty(result.Notes);
        string note = Assert.Single(CellDirectives.Process("#r \"nuget: ecqx.research, 0.0.1\"", "/tmp", Preloaded).Notes);
        Assert.Contains($"carries {carried}", note);
    }
}
