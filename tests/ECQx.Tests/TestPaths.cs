namespace ECQx.Tests;

/// <summary>Locations of test assets, relative to the test assembly.</summary>
public static class TestPaths
{
    /// <summary>The test assembly's directory (assets are copied next to it).</summary>
    public static string AssemblyDir => AppContext.BaseDirectory;

    /// <summary>The repository root: the nearest directory above the test assembly holding <c>ECQx.Research.sln</c>.</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AssemblyDir);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ECQx.Research.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException($"no ECQx.Research.sln above {AssemblyDir}");
    }

    /// <summary>The bundled pretrained CIFAR-10 ResNet20 (PyTorch names), BSD-2-Clause, as the library finds it (next to the test assembly).</summary>
    public static string PretrainedResNet20 => BundledFiles.Require(BundledFiles.PretrainedResNet20, "The bundled pretrained ResNet20");

    /// <summary>A fresh empty temporary directory for one test.</summary>
    public static string NewTempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ecqx-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
