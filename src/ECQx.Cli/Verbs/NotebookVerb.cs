using System.CommandLine;
using ECQx.Notebooks;
using ECQx.Notebooks.Scripting;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx notebook run &lt;file.ipynb&gt; [--param k=v]... [--output out.ipynb]</c>: executes a C# notebook
/// headless and writes the executed copy (default <c>results/notebooks/&lt;name&gt;.ipynb</c>). Exit code 0
/// when every cell ran, 1 when a cell failed (the copy is written up to that cell), 2 when the notebook
/// could not be run at all.
/// </summary>
public sealed class NotebookVerb : ICliVerb
{
    /// <inheritdoc />
    public Command Build()
    {
        var notebook = new Command("notebook", "Work with the C# notebooks (.ipynb) headless.");
        notebook.Subcommands.Add(BuildRun());
        notebook.Subcommands.Add(NotebookGalleryCommand.Build());
        return notebook;
    }

    private static Command BuildRun()
    {
        var file = new Argument<FileInfo>("file") { Description = "The notebook (.ipynb) to run." };
        var param = new Option<string[]>("--param", "-p")
        {
            Description = "Override a variable of the cell tagged 'parameters': name=value (bool, int, long, float, double, decimal or string). Repeatable.",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<FileInfo?>("--output", "-o")
        {
            Description = "Where to write the executed notebook (default: results/notebooks/<name>.ipynb under the repository).",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Do not echo what cells print; only progress and errors." };
        var plotlyJs = new Option<PlotlyJsEmbedding>("--plotly-js")
        {
            Description = "Embed plotly.js in the first chart output only (OncePerNotebook) or in every chart output (EveryFigure).",
            DefaultValueFactory = _ => PlotlyJsEmbedding.OncePerNotebook,
        };

        var strictClaims = new Option<bool>("--strict-claims")
        {
            Description = "Exit with code 3 when a claim the notebook makes about its own run (claim(...)) does not hold in this run.",
        };

        var run = new Command("run", "Execute the notebook's C# cells in order (Roslyn scripting) and write the executed copy with outputs.");
        run.Arguments.Add(file);
        run.Options.Add(param);
        run.Options.Add(output);
        run.Options.Add(quiet);
        run.Options.Add(plotlyJs);
        run.Options.Add(strictClaims);
        run.SetAction(async (parseResult, cancellationToken) =>
        {
            FileInfo input = parseResult.GetValue(file)!;
            try
            {
                var parameters = NotebookParameters.Parse(parseResult.GetValue(param) ?? []);
                var runner = new NotebookRunner(new NotebookRunnerOptions
                {
                    WorkingDirectory = input.DirectoryName,
                    Log = Console.Error,
                    EchoCellOutput = !parseResult.GetValue(quiet),
                    PlotlyJs = parseResult.GetValue(plotlyJs),
                });
                var (result, written) = await runner.RunFileAsync(input.FullName, parseResult.GetValue(output)?.FullName, parameters, cancellationToken);
                if (result.Failure is { } failure)
                {
                    Console.Error.WriteLine($"Notebook {input.Name} failed at {failure}");
                    foreach (string line in failure.Traceback.Skip(1).Take(20)) Console.Error.WriteLine("  " + line);
                    Console.Error.WriteLine($"Partially executed notebook written to {written}");
                    return 1;
                }
                Console.Error.WriteLine(FormattableString.Invariant(
                    $"Ran {result.ExecutedCells} code cells of {input.Name} in {result.Duration.TotalSeconds:0.0} s; executed notebook written to {written}"));
                var claims = Claims.In(result.Notebook);
                var failing = claims.Where(c => !c.Claim.Holds).ToList();
                if (claims.Count > 0)
                    Console.Error.WriteLine($"Claims about this run: {claims.Count - failing.Count} of {claims.Count} hold");
                foreach (var (cell, claim) in failing)
                    Console.Error.WriteLine($"  cell {cell}: does not hold in this run: {claim.Statement} ({claim.Evidence})");
                return failing.Count > 0 && parseResult.GetValue(strictClaims) ? 3 : 0;
            }
            catch (Exception e) when (e is NotebookRunException or InvalidDataException or FileNotFoundException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"ecqx notebook run: {e.Message}");
                return 2;
            }
        });
        return run;
    }
}
