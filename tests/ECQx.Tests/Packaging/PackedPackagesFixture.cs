using System.Diagnostics;
using System.Xml.Linq;
using Xunit;

namespace ECQx.Tests.Packaging;

/// <summary>
/// Packs the repository once for <see cref="PackagesTests"/> and installs the tool, the way a user would:
/// a copy of the sources (no build outputs) in a fresh temporary folder, the README's
/// <c>dotnet pack ECQx.Research.sln -c Release</c> with a per-run version suffix (so no NuGet cache can serve a
/// stale package of the same version), then <c>dotnet tool install --tool-path</c> from the packed folder.
/// Everything lives under <see cref="Root"/>, which is deleted afterwards.
/// </summary>
public sealed class PackedPackagesFixture : IDisposable
{
    /// <summary>Directories never copied: build outputs, run outputs, downloads, version control.</summary>
    private static readonly HashSet<string> SkippedDirectories = new(StringComparer.Ordinal)
    {
        "bin", "obj", "results", "artifacts", "TestResults", "BenchmarkDotNet.Artifacts", ".git", ".vs", ".cache", "cache", "downloads", "node_modules",
    };

    private readonly List<(string Step, TimeSpan Elapsed)> _timings = new();

    /// <summary>Creates the packages and installs the tool; throws with the command transcript when a step fails.</summary>
    public PackedPackagesFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "ecqx-packaging-tests", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss") + "-" + Guid.NewGuid().ToString("N")[..6]);
        SourceCopy = Path.Combine(Root, "source");
        ToolPath = Path.Combine(Root, "tool");
        Directory.CreateDirectory(Root);

        var clock = Stopwatch.StartNew();
        CopySources(TestPaths.RepoRoot(), SourceCopy);
        _timings.Add(("copy sources", clock.Elapsed));

        VersionSuffix = "test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + Guid.NewGuid().ToString("N")[..4];
        Pack = ChildProcess.Dotnet(SourceCopy, TimeSpan.FromMinutes(20), null,
            "pack", "ECQx.Research.sln", "-c", "Release", $"-p:VersionSuffix={VersionSuffix}", "-nologo");
        _timings.Add(("dotnet pack ECQx.Research.sln", Pack.Elapsed));
        if (Pack.ExitCode != 0) throw new InvalidOperationException("dotnet pack failed\n" + Pack.Transcript);

        PackagesDirectory = Path.Combine(SourceCopy, "artifacts", "packages");
        string library = Directory.EnumerateFiles(PackagesDirectory, "ECQx.Research.*.nupkg").SingleOrDefault()
            ?? throw new InvalidOperationException($"no ECQx.Research package in {PackagesDirectory}\n{Pack.Transcript}");
        Version = Path.GetFileNameWithoutExtension(library)["ECQx.Research.".Length..];

        Install = ChildProcess.Dotnet(Root, TimeSpan.FromMinutes(10), null,
            "tool", "install", "--tool-path", ToolPath, "--add-source", PackagesDirectory, "ECQx.Cli", "--version", Version);
        _timings.Add(("dotnet tool install", Install.Elapsed));
        if (Install.ExitCode != 0) throw new InvalidOperationException("dotnet tool install failed\n" + Install.Transcript);
    }

    /// <summary>The run's temporary folder (sources, packages, tool, consumer project).</summary>
    public string Root { get; }

    /// <summary>The copy of the repository that was packed.</summary>
    public string SourceCopy { get; }

    /// <summary>Where the pack command put the packages: <c>artifacts/packages</c> of the copy.</summary>
    public string PackagesDirectory { get; } = "";

    /// <summary>The version suffix given to this run's pack.</summary>
    public string VersionSuffix { get; }

    /// <summary>The packed version (read from the library package's file name).</summary>
    public string Version { get; } = "";

    /// <summary>The tool path the <c>ecqx</c> tool was installed into.</summary>
    public string ToolPath { get; }

    /// <summary>The installed command.</summary>
    public string Ecqx => Path.Combine(ToolPath, OperatingSystem.IsWindows() ? "ecqx.exe" : "ecqx");

    /// <summary>The pack command's result.</summary>
    internal CommandResult Pack { get; }

    /// <summary>The tool installation's result.</summary>
    internal CommandResult Install { get; }

    /// <summary>How long each shared step took.</summary>
    public IReadOnlyList<(string Step, TimeSpan Elapsed)> Timings => _timings;

    /// <summary>The <c>VersionPrefix</c> set in the repository's <c>Directory.Build.props</c> (the one place of the version).</summary>
    public static string VersionPrefixInRepository()
    {
        var props = XDocument.Load(Path.Combine(TestPaths.RepoRoot(), "Directory.Build.props"));
        var prefixes = props.Descendants("VersionPrefix").Select(e => e.Value.Trim()).ToList();
        return Assert.Single(prefixes);
    }

    /// <summary>The path of a package file in <see cref="PackagesDirectory"/>.</summary>
    public string PackageFile(string id) => Path.Combine(PackagesDirectory, $"{id}.{Version}.nupkg");

    /// <inheritdoc />
    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void CopySources(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from))
            if (Path.GetFileName(file) != ".git") // a worktree's link to its repository
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string dir in Directory.EnumerateDirectories(from))
        {
            if (SkippedDirectories.Contains(Path.GetFileName(dir))) continue;
            CopySources(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
