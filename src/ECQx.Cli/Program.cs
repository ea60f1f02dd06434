using System.CommandLine;
using System.Reflection;

namespace ECQx.Cli;

/// <summary>Entry point of the <c>ecqx</c> command.</summary>
public static class Program
{
    /// <summary>Builds the root command with every verb found in this assembly.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("ecqx: explainability-driven quantization (ECQ/ECQx) on TorchSharp");
        var verbs = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ICliVerb).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (ICliVerb)Activator.CreateInstance(t)!)
            .Select(v => v.Build())
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        foreach (var verb in verbs) root.Subcommands.Add(verb);
        return root;
    }

    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        // Piped or logged output has no terminal width; Spectre would then wrap tables at 80 columns
        // and break layer names. Honour COLUMNS when set, otherwise use a wide page.
        if (Console.IsOutputRedirected)
        {
            int width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int c) && c > 40 ? c : 160;
            Spectre.Console.AnsiConsole.Profile.Width = width;
        }
        return BuildRoot().Parse(args).Invoke();
    }
}
