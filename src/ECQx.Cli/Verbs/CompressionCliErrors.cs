namespace ECQx.Cli.Verbs;

/// <summary>The coding verbs' (<c>compress</c>, <c>decompress</c>, <c>inspect</c>) error convention: every expected failure
/// (see <see cref="CliRun.ExitCodeFor"/>) is one <c>error: …</c> line on standard error and exit code 1.</summary>
internal static class CompressionCliErrors
{
    internal static int Run(Action action) => CliRun.Guarded(Console.Error, 1, action);
}
