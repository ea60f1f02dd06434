namespace ECQx;

/// <summary>
/// The one place that finds the data files this project bundles (the Fashion-MNIST sample, the pretrained
/// ResNet20, the CIFAR-10 set synthesized from it). They travel with every build output and package under <c>data/</c>:
/// <list type="bullet">
/// <item>next to the running program: the installed <c>ecqx</c> tool, a build of the CLI, tests, or an
/// application that references the <c>ECQx.Research</c> package (its build copies <c>data/</c> to the output);</item>
/// <item>above the <c>ECQx</c> assembly: the package root in the NuGet cache when the assembly is loaded from
/// there (a notebook's <c>#r "nuget: ECQx.Research"</c>), or a source checkout;</item>
/// <item>above the working directory: a source checkout.</item>
/// </list>
/// Lookups only read: nothing is ever written next to the program.
/// </summary>
public static class BundledFiles
{
    /// <summary>Folder of the bundled Fashion-MNIST sample (four gzip IDX files, MIT), relative to a search root.</summary>
    public const string FashionMnistSample = "data/fashion-mnist-sample";

    /// <summary>The bundled pretrained CIFAR-10 ResNet20 (BSD-2-Clause), relative to a search root.</summary>
    public const string PretrainedResNet20 = "data/pretrained/resnet20-cifar10.safetensors";

    /// <summary>
    /// Folder of the bundled CIFAR-10-shaped set synthesized from <see cref="PretrainedResNet20"/> (CIFAR-10 binary format, labels =
    /// the model's predictions; <see cref="Data.Synthesis.SynthesizedCifar10"/>), relative to a search root: quick mode's CIFAR-10 data.
    /// </summary>
    public const string SynthesizedCifar10 = "data/cifar10-synthesized";

    /// <summary>How many parent directories each search climbs (a checkout's build output is 6 levels down).</summary>
    private const int MaxDepth = 8;

    /// <summary>
    /// The directories searched, in order: the program's directory, the <c>ECQx</c> assembly's directory,
    /// the working directory. Each is searched together with its parents.
    /// </summary>
    public static IReadOnlyList<string> SearchRoots()
    {
        var roots = new List<string> { AppContext.BaseDirectory };
        string assemblyLocation = typeof(BundledFiles).Assembly.Location; // empty in single-file apps
        if (!string.IsNullOrEmpty(assemblyLocation) && Path.GetDirectoryName(assemblyLocation) is { } assemblyDir)
            roots.Add(assemblyDir);
        roots.Add(Environment.CurrentDirectory);
        return roots
            .Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r)))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Finds the bundled file or folder <paramref name="relativePath"/> (for example <see cref="PretrainedResNet20"/>)
    /// under the <see cref="SearchRoots"/> or their parents; returns its full path, or null when none has it.
    /// </summary>
    public static string? Find(string relativePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        foreach (string root in SearchRoots())
        {
            var dir = new DirectoryInfo(root);
            for (int depth = 0; dir is not null && depth <= MaxDepth; depth++, dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relativePath);
                if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    /// <summary>
    /// Like <see cref="Find"/>, but a missing file is a <see cref="FileNotFoundException"/> that names
    /// <paramref name="description"/>, the relative path and every directory searched.
    /// </summary>
    public static string Require(string relativePath, string description) =>
        Find(relativePath) ?? throw new FileNotFoundException(
            $"{description} ({relativePath}) was not found next to the program, the ECQx library or the working directory, " +
            $"nor above them (searched {string.Join(", ", SearchRoots())}). It is part of the ecqx tool, the ECQx.Research " +
            "package's build output and a checkout of the repository; reinstall the tool or run from a checkout.",
            relativePath);
}
