namespace ECQx.Cli.Verbs;

/// <summary>
/// Where a verb's <c>--out</c> goes when it names a folder: a path that ends in a directory separator, or names an
/// existing directory, means "write into that folder" (created when missing), under the input's file name with the
/// output's extension (<c>compress q.safetensors --out models/</c> writes <c>models/q.ecqx</c>).
/// </summary>
internal static class OutputFilePath
{
    /// <summary>The file to write for <paramref name="output"/> (as given on the command line) and <paramref name="input"/>.</summary>
    /// <param name="output">The <c>--out</c> value.</param>
    /// <param name="input">The input file; its name without extension names the output inside a folder.</param>
    /// <param name="extension">The output extension, with its dot (<c>.ecqx</c>).</param>
    public static string Resolve(string output, string input, string extension)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        bool folder = Path.EndsInDirectorySeparator(output) || Directory.Exists(output);
        if (!folder) return Path.GetFullPath(output);
        string name = Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(input));
        if (name.Length == 0) throw new ArgumentException($"--out '{output}' is a folder, and the input '{input}' has no file name to name the output after");
        return Path.Combine(Path.GetFullPath(output), name + extension);
    }
}
