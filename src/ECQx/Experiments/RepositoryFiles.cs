namespace ECQx.Experiments;

/// <summary>Finds files bundled with the repository (pretrained weights) from the program's or the working directory.</summary>
public static class RepositoryFiles
{
    /// <summary>The bundled pretrained CIFAR-10 ResNet20, relative to the repository root.</summary>
    public const string PretrainedResNet20 = "data/pretrained/resnet20-cifar10.safetensors";

    /// <summary>
    /// Looks for <paramref name="relativePath"/> in the working directory, the program directory and their
    /// parents (a source checkout), and for its file name under <c>assets/pretrained</c> next to the program
    /// (test builds). Returns the full path or null.
    /// </summary>
    public static string? Find(string relativePath)
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            var dir = new DirectoryInfo(start);
            for (int depth = 0; dir is not null && depth < 12; depth++, dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relativePath);
                if (File.Exists(candidate)) return candidate;
            }
        }
        string asset = Path.Combine(AppContext.BaseDirectory, "assets", "pretrained", Path.GetFileName(relativePath));
        return File.Exists(asset) ? asset : null;
    }
}
