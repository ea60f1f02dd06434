using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// The Jupyter kernelspec of the C# (ECQx) kernel: a folder <c>kernels/&lt;name&gt;</c> under a Jupyter data
/// directory holding <c>kernel.json</c> (how to start the kernel, display name "C# (ECQx)", language
/// <c>csharp</c>, interrupts by message) and the logos. Writes are atomic per file.
/// </summary>
public static partial class KernelSpec
{
    /// <summary>The kernelspec name the notebooks' metadata names.</summary>
    public const string DefaultName = "ecqx-csharp";

    /// <summary>The display name clients show ("Select Kernel").</summary>
    public const string DisplayName = "C# (ECQx)";

    /// <summary>The kernelspec language.</summary>
    public const string Language = "csharp";

    /// <summary>
    /// Writes the kernelspec <paramref name="name"/> into <paramref name="kernelsDirectory"/> (a
    /// <c>…/share/jupyter/kernels</c> folder) and returns its folder. <paramref name="launcher"/> is the
    /// command that starts the kernel (the <c>ecqx</c> executable, or <c>dotnet ECQx.Cli.dll</c>); the
    /// kernel arguments are appended. Throws <see cref="ArgumentException"/> for a name Jupyter does not accept.
    /// </summary>
    public static string Install(string kernelsDirectory, string name, IReadOnlyList<string> launcher)
    {
        CheckName(name);
        if (launcher.Count == 0) throw new ArgumentException("The kernel launcher command is empty.", nameof(launcher));
        string folder = Path.Combine(Path.GetFullPath(kernelsDirectory), name);
        Directory.CreateDirectory(folder);
        var argv = new JsonArray(launcher.Concat(["kernel", "--connection-file", "{connection_file}"]).Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        var spec = new JsonObject
        {
            ["argv"] = argv,
            ["display_name"] = DisplayName,
            ["language"] = Language,
            ["interrupt_mode"] = "message",
            ["metadata"] = new JsonObject { ["debugger"] = false },
        };
        ECQx.IO.AtomicFile.WriteAllBytes(Path.Combine(folder, "kernel.json"), System.Text.Encoding.UTF8.GetBytes(spec.ToJsonString(new() { WriteIndented = true }) + "\n"));
        ECQx.IO.AtomicFile.WriteAllBytes(Path.Combine(folder, "logo-32x32.png"), KernelLogo.Png(32));
        ECQx.IO.AtomicFile.WriteAllBytes(Path.Combine(folder, "logo-64x64.png"), KernelLogo.Png(64));
        return folder;
    }

    /// <summary>Removes the kernelspec <paramref name="name"/> from <paramref name="kernelsDirectory"/>; false when it was not there.</summary>
    public static bool Uninstall(string kernelsDirectory, string name)
    {
        CheckName(name);
        string folder = Path.Combine(Path.GetFullPath(kernelsDirectory), name);
        if (!Directory.Exists(folder)) return false;
        Directory.Delete(folder, recursive: true);
        return true;
    }

    /// <summary>
    /// The per-user Jupyter kernels folder (<c>JUPYTER_DATA_DIR</c>, else the platform's default data directory
    /// under the home directory, as Jupyter computes it; also when that folder does not exist yet). Throws
    /// <see cref="InvalidOperationException"/> when there is no home directory to put it in.
    /// </summary>
    public static string UserKernelsDirectory()
    {
        string? data = Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR");
        if (string.IsNullOrEmpty(data))
        {
            // DoNotVerify: the default answers "" for a home that does not exist, which would make the path relative.
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(home) || !Path.IsPathRooted(home))
                throw new InvalidOperationException("there is no home directory (HOME is not set) for the per-user Jupyter data directory; set JUPYTER_DATA_DIR or use --prefix DIR.");
            data = OperatingSystem.IsWindows() ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "jupyter")
                : OperatingSystem.IsMacOS() ? Path.Combine(home, "Library", "Jupyter")
                : Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(home, ".local", "share"), "jupyter");
        }
        return Path.Combine(data, "kernels");
    }

    /// <summary>The kernels folder under an installation prefix: <c>DIR/share/jupyter/kernels</c>.</summary>
    public static string PrefixKernelsDirectory(string prefix) => Path.Combine(Path.GetFullPath(prefix), "share", "jupyter", "kernels");

    private static void CheckName(string name)
    {
        if (!ValidName().IsMatch(name ?? ""))
            throw new ArgumentException($"Kernel name '{name}' is not valid: use letters, digits, '.', '_' and '-' only.", nameof(name));
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+$")]
    private static partial Regex ValidName();
}
