using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace ECQx.Tests.Packaging;

/// <summary>
/// The two packages as a user meets them (issue #14): packed once per run by <see cref="PackedPackagesFixture"/>,
/// the <c>ecqx</c> tool installed into a temporary tool path and run from an empty folder, and a new console
/// project that references the packed <c>ECQx.Research</c>. Slow (pack, restore, builds): each test prints the
/// time it and the shared steps took.
/// </summary>
public sealed class PackagesTests(PackedPackagesFixture packed, ITestOutputHelper output) : IClassFixture<PackedPackagesFixture>
{
    private const string LibraryId = "ECQx.Research";
    private const string ToolId = "ECQx.Cli";

    [Fact]
    public void BothPackagesCarryTheOneVersionFromDirectoryBuildProps()
    {
        ReportTimings();
        Assert.Equal($"{PackedPackagesFixture.VersionPrefixInRepository()}-{packed.VersionSuffix}", packed.Version);
        Assert.True(File.Exists(packed.PackageFile(LibraryId)), packed.PackageFile(LibraryId));
        Assert.True(File.Exists(packed.PackageFile(ToolId)), $"no {ToolId} {packed.Version} in {packed.PackagesDirectory}: " +
            string.Join(", ", Directory.EnumerateFiles(packed.PackagesDirectory).Select(Path.GetFileName)));
        foreach (string id in new[] { LibraryId, ToolId })
        {
            var meta = Nuspec(id);
            Assert.Equal(id, Field(meta, "id"));
            Assert.Equal(packed.Version, Field(meta, "version"));
            Assert.Equal("MIT AND BSD-2-Clause", Field(meta, "license"));
            Assert.Equal("README.md", Field(meta, "readme"));
            Assert.False(string.IsNullOrWhiteSpace(Field(meta, "description")));
            Assert.Contains("ecqx", Field(meta, "tags").Split(' '));
            using var zip = ZipFile.OpenRead(packed.PackageFile(id));
            Assert.NotNull(zip.GetEntry("README.md"));
            Assert.NotNull(zip.GetEntry("LICENSE"));
        }
    }

    [Fact]
    public void LibraryPackageCarriesTheDataTheConsumerTargetsAndPortableNativeDependencies()
    {
        var meta = Nuspec(LibraryId);
        var dependencies = meta.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("0.107.0", dependencies["TorchSharp"]);
        // Natives for every OS; the packing machine's own OS package must not leak into consumers.
        Assert.Equal("2.10.0", dependencies["libtorch-cpu"]);
        Assert.DoesNotContain(dependencies.Keys, k => k.StartsWith("libtorch-cpu-", StringComparison.OrdinalIgnoreCase));

        using var zip = ZipFile.OpenRead(packed.PackageFile(LibraryId));
        Assert.NotNull(zip.GetEntry("lib/net10.0/ECQx.dll"));
        Assert.NotNull(zip.GetEntry("lib/net10.0/ECQx.xml"));
        Assert.NotNull(zip.GetEntry("buildTransitive/ECQx.Research.targets"));
        // The GLIBCXX patch is the repository's own targets file, byte for byte.
        Assert.Equal(Sha256(Path.Combine(TestPaths.RepoRoot(), "build", "GlibcxxWeakVersionNeed.targets")),
            Sha256(zip.GetEntry("buildTransitive/GlibcxxWeakVersionNeed.targets")!));
        foreach (string file in BundledDataFiles())
            Assert.Equal(Sha256(Path.Combine(TestPaths.RepoRoot(), file)), Sha256(zip.GetEntry(file) ?? throw new Xunit.Sdk.XunitException($"{file} missing from {LibraryId}")));
    }

    [Fact]
    public void InstalledToolPrintsTheVersionAndCarriesThePatchedNativeLibrary()
    {
        var version = ChildProcess.Run(packed.Ecqx, packed.Root, TimeSpan.FromMinutes(2), null, "--version");
        output.WriteLine(version.Transcript);
        Assert.Equal(0, version.ExitCode);
        Assert.Equal(packed.Version, version.StdOut.Trim().Split('+')[0]);

        Assert.Equal("ecqx", DotnetToolCommand());
        if (!OperatingSystem.IsLinux()) return;
        string native = Assert.Single(Directory.EnumerateFiles(packed.ToolPath, "libLibTorchSharp.so", SearchOption.AllDirectories));
        Assert.Equal("WEAK", GlibcxxVersionNeedFlags(native));
    }

    [Fact]
    public void InstalledToolReproducesThePrimerFromAnEmptyFolderAndWritesNothingIntoItself()
    {
        string work = Directory.CreateDirectory(Path.Combine(packed.Root, "empty-working-dir")).FullName;
        var before = Snapshot(packed.ToolPath);

        var run = ChildProcess.Run(packed.Ecqx, work, TimeSpan.FromMinutes(20), null, "reproduce", "primer", "--quick", "--lambdas", "0.4", "--max-batches", "40");
        output.WriteLine(run.Transcript);
        Assert.True(run.ExitCode == 0, run.Transcript);

        string runDir = Assert.Single(Directory.GetDirectories(Path.Combine(work, "results", "primer")));
        string report = Path.Combine(runDir, "report.html");
        Assert.True(File.Exists(report), $"no report.html in {runDir}");
        Assert.Contains("ECQx", File.ReadAllText(report));
        Assert.Contains(report, run.StdOut.Replace("\n", "", StringComparison.Ordinal));
        var rows = File.ReadAllLines(Path.Combine(runDir, "results.csv"));
        string[] header = rows[0].Split(',');
        int method = Array.IndexOf(header, "method"), coded = Array.IndexOf(header, "coded_bytes"), fp32 = Array.IndexOf(header, "fp32_bytes");
        var quantized = rows.Skip(1).Select(r => r.Split(',')).Where(r => r[method] is "ECQ" or "ECQx").ToList();
        Assert.Contains(quantized, r => r[method] == "ECQ");
        Assert.Contains(quantized, r => r[method] == "ECQx");
        Assert.All(quantized, r => Assert.InRange(long.Parse(r[coded], CultureInfo.InvariantCulture), 1, long.Parse(r[fp32], CultureInfo.InvariantCulture) - 1));

        Assert.Equal(before, Snapshot(packed.ToolPath));
    }

    [Fact]
    public void NewConsoleProjectReferencingTheLibraryPackageBuildsLoadsLibtorchAndQuantizes()
    {
        string project = Directory.CreateDirectory(Path.Combine(packed.Root, "consumer")).FullName;
        // A per-run package folder (the machine's own folder only as a read-only fallback) keeps this run's
        // package out of the user's NuGet cache; the sources are the packed folder plus the machine's usual ones.
        string machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string runPackages = Path.Combine(packed.Root, "nuget-packages");
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="ecqx-under-test" value="{packed.PackagesDirectory}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        // What `dotnet new console` writes, plus the package: no runtime identifier.
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{LibraryId}" Version="{packed.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using ECQx.Quantization;
            using TorchSharp;

            torch.manual_seed(7);
            using var weights = torch.randn(256, 256) * 0.05f;
            using var codebook = Codebook.FromWeights(weights, bits: 4);
            using var q = EntropyConstrainedQuantizer.Assign(weights, codebook, new EcqOptions { Lambda = 0.2 }, nMax: weights.numel());
            long zeros = (q.Levels == 0).sum().item<long>();
            Console.WriteLine($"sparsity {q.Stats.Sparsity:R} zeros {zeros} of {weights.numel()}");
            Console.WriteLine($"sample {ECQx.Data.Idx.FashionMnist.FindBundledSample()}");
            """);
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = runPackages };

        var build = ChildProcess.Dotnet(project, TimeSpan.FromMinutes(15), env, "build", "-c", "Release", "-nologo");
        output.WriteLine(build.Transcript);
        Assert.True(build.ExitCode == 0, build.Transcript);
        Assert.True(Directory.Exists(Path.Combine(runPackages, LibraryId.ToLowerInvariant(), packed.Version.ToLowerInvariant())),
            "the package under test was not restored into the per-run package folder");

        string bin = Path.Combine(project, "bin", "Release", "net10.0");
        string runDir = Directory.CreateDirectory(Path.Combine(packed.Root, "consumer-run")).FullName;
        var run = ChildProcess.Dotnet(runDir, TimeSpan.FromMinutes(5), env, Path.Combine(bin, "Consumer.dll"));
        output.WriteLine(run.Transcript);
        Assert.True(run.ExitCode == 0, run.Transcript);

        var m = Regex.Match(run.StdOut, @"sparsity (?<s>[0-9.Ee-]+) zeros (?<z>\d+) of (?<n>\d+)");
        Assert.True(m.Success, run.Transcript);
        double sparsity = double.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture);
        long zeros = long.Parse(m.Groups["z"].Value, CultureInfo.InvariantCulture), n = long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        Assert.Equal(256 * 256, n);
        Assert.Equal(zeros / (double)n, sparsity, 12);   // the statistics agree with counting the levels
        Assert.InRange(sparsity, 0.05, 0.99);              // Λ = 0.2 prunes, but not everything
        // The buildTransitive targets copied the bundled data next to the program, where the library finds it.
        Assert.Contains($"sample {Path.Combine(bin, "data", "fashion-mnist-sample")}", run.StdOut);

        if (!OperatingSystem.IsLinux()) return;
        // No runtime identifier: natives sit under runtimes/linux-x64/native; the output copy is patched, the cache's is not.
        Assert.Equal("WEAK", GlibcxxVersionNeedFlags(Path.Combine(bin, "runtimes", "linux-x64", "native", "libLibTorchSharp.so")));
        Assert.Equal("none", GlibcxxVersionNeedFlags(Path.Combine(machinePackages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so")));
    }

    private void ReportTimings()
    {
        foreach (var (step, elapsed) in packed.Timings) output.WriteLine($"{step}: {elapsed.TotalSeconds:F0} s");
    }

    private XElement Nuspec(string id)
    {
        using var zip = ZipFile.OpenRead(packed.PackageFile(id));
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string Field(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value.Trim() ?? throw new Xunit.Sdk.XunitException($"nuspec has no <{name}>");

    /// <summary>The command name in the installed tool's <c>DotnetToolSettings.xml</c>.</summary>
    private string DotnetToolCommand()
    {
        string settings = Assert.Single(Directory.EnumerateFiles(packed.ToolPath, "DotnetToolSettings.xml", SearchOption.AllDirectories));
        return (string)XDocument.Load(settings).Descendants("Command").Single().Attribute("Name")!;
    }

    /// <summary>Repository-relative paths of the bundled data files that travel in the packages.</summary>
    private static IEnumerable<string> BundledDataFiles() =>
    [
        "data/fashion-mnist-sample/train-images-idx3-ubyte.gz", "data/fashion-mnist-sample/train-labels-idx1-ubyte.gz",
        "data/fashion-mnist-sample/t10k-images-idx3-ubyte.gz", "data/fashion-mnist-sample/t10k-labels-idx1-ubyte.gz",
        "data/fashion-mnist-sample/LICENSE", "data/pretrained/resnet20-cifar10.safetensors", "data/pretrained/LICENSE-resnet20-cifar10",
    ];

    /// <summary>
    /// The flags <c>readelf -V</c> shows for the GLIBCXX_3.4.32 version need of <paramref name="library"/>
    /// (<c>WEAK</c> once patched, <c>none</c> as TorchSharp ships it).
    /// </summary>
    private static string GlibcxxVersionNeedFlags(string library)
    {
        var readelf = ChildProcess.Run("readelf", Path.GetDirectoryName(library)!, TimeSpan.FromMinutes(1), null, "-V", library);
        Assert.True(readelf.ExitCode == 0, readelf.Transcript);
        var m = Regex.Match(readelf.StdOut, @"Name: GLIBCXX_3\.4\.32\s+Flags: (?<flags>\S+)");
        Assert.True(m.Success, $"{library} has no GLIBCXX_3.4.32 version need\n{readelf.Transcript}");
        return m.Groups["flags"].Value;
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static string Sha256(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    /// <summary>Every file and folder under <paramref name="root"/> with its size and time stamp, sorted.</summary>
    private static string Snapshot(string root) => string.Join('\n',
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => File.Exists(f)
                ? $"{Path.GetRelativePath(root, f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}"
                : $"{Path.GetRelativePath(root, f)}/"));
}
