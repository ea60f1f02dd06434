using ECQx.Cli.Verbs;
using Spectre.Console;

namespace ECQx.Tests.Experiments;

/// <summary>Runs <c>ecqx reproduce</c> through its real parser on a recording console.</summary>
internal static class ReproduceCli
{
    public static (int Exit, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 250;
        int exit = ReproduceVerb.Build(console).Parse(args).Invoke();
        return (exit, writer.ToString());
    }
}
