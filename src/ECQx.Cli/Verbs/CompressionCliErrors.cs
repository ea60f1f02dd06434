using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>Turns expected failures (bad or missing files, bad options) into a message and exit code 1.</summary>
internal static class CompressionCliErrors
{
    internal static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                                       or ArgumentException or UnauthorizedAccessException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
