using System.CommandLine;
using ECQx.Cli.Rendering;
using ECQx.Training;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary><c>ecqx train</c>: full-precision (baseline) training, resumable, with a summary table.</summary>
public sealed class TrainVerb : ICliVerb
{
    /// <inheritdoc />
    public Command Build() => Build(AnsiConsole.Console);

    /// <summary>Builds the command rendering on <paramref name="console"/> (tests pass a recording console).</summary>
    internal Command Build(IAnsiConsole console)
    {
        var o = new TrainingCommandOptions();
        var cmd = new Command("train", "Train a full-precision baseline (Adam; resumable with --resume).");
        o.AddTo(cmd);
        cmd.SetAction(r => CliRun.Guarded(console, ct => Run(r, o, console, ct)));
        return cmd;
    }

    private static int Run(ParseResult r, TrainingCommandOptions o, IAnsiConsole console, CancellationToken ct)
    {
        var device = TorchRuntime.ParseDevice(r.GetValue(o.Device)!);
        var options = o.Trainer(r, device);
        options.Validate();
        var model = o.CreateModel(r, device);
        var data = o.LoadData(r, device);
        try
        {
            using var trainer = new QuantizationAwareTrainer(model, data, options);
            TrainingCommandOptions.AnnounceResume(console, options, trainer.CheckpointPath);
            int rows = 0;
            trainer.EpochCompleted += (_, _) => rows++;
            var result = TrainingProgressView.Run(console, trainer, ct);
            TrainingCommandOptions.ExplainNothingTrained(console, options, result, rows);
            string outPath = Path.Combine(options.OutputDirectory!, "model.safetensors");
            ECQx.IO.SafeTensors.Save(outPath, model.state_dict());
            console.Write(SummaryTables.Epochs(result.History));
            console.MarkupLine($"model: [bold]{Markup.Escape(outPath)}[/]{(result.StoppedEarly ? " (stopped early)" : "")}");
            return 0;
        }
        finally { (data as IDisposable)?.Dispose(); }
    }
}
