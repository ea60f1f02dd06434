using System.CommandLine;
using System.Diagnostics;
using ECQx.Data.Synthesis;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx data synthesize cifar10 [--count N] [--train-count N] [--out DIR]</c>: synthesizes a CIFAR-10-shaped set from the
/// bundled pretrained ResNet20 by batch-norm statistics inversion (<see cref="SynthesizedCifar10"/>), in the CIFAR-10 binary
/// format with a marker. <c>--count</c> is the number of test images, <c>--train-count</c> of training images (default: half as
/// many). Without <c>--out</c> the set goes to <c>&lt;data dir&gt;/cifar10-synthesized</c>. An interrupted run
/// continues from its finished batches when started again with the same options.
/// </summary>
internal static class DataSynthesizeCommand
{
    /// <summary>Datasets this command can synthesize.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "cifar10" };

    /// <summary>The <c>synthesize</c> subcommand of <c>ecqx data</c>.</summary>
    public static Command Build(Option<string?> dataDir, Func<IAnsiConsole> console)
    {
        var defaults = new SynthesizedCifar10Options();
        var count = new Option<int>("--count") { Description = $"Test images (default {defaults.TestCount})", DefaultValueFactory = _ => defaults.TestCount };
        var trainCount = new Option<int?>("--train-count") { Description = "Training images (default: half of --count, at least 5)" };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default: <data dir>/cifar10-synthesized)" };
        var seed = new Option<ulong>("--seed") { Description = $"Seed (default {defaults.Seed})", DefaultValueFactory = _ => defaults.Seed };
        var iterations = new Option<int>("--iterations") { Description = $"Adam steps per batch (default {defaults.Inversion.Iterations})", DefaultValueFactory = _ => defaults.Inversion.Iterations };
        var batch = new Option<int>("--batch-size") { Description = $"Images optimised together (default {defaults.Inversion.BatchSize})", DefaultValueFactory = _ => defaults.Inversion.BatchSize };
        var threads = new Option<int>("--threads") { Description = "Torch threads (0 = torch's default; fix it for a repeatable result)", DefaultValueFactory = _ => 0 };
        var workers = new Option<int>("--workers") { Description = "Batches optimised at the same time, one model copy each (default 1; 2 workers with --threads 1 suit two cores)", DefaultValueFactory = _ => 1 };
        var weights = new Option<string?>("--weights") { Description = "ResNet20 weights (default: the bundled data/pretrained/resnet20-cifar10.safetensors)" };
        var command = new Command("cifar10", "Synthesize CIFAR-10-shaped images from the pretrained ResNet20 (batch-norm statistics inversion), labelled with its predictions");
        foreach (var o in new Option[] { count, trainCount, outDir, seed, iterations, batch, threads, workers, weights, dataDir }) command.Options.Add(o);
        command.SetAction(r => CliRun.Guarded(console(), ct => Run(console(), "cifar10", new SynthesizedCifar10Options
        {
            TestCount = r.GetValue(count),
            TrainCount = r.GetValue(trainCount) ?? Math.Max(5, r.GetValue(count) / 2),
            Seed = r.GetValue(seed),
            Workers = r.GetValue(workers),
            Inversion = defaults.Inversion with { Iterations = r.GetValue(iterations), BatchSize = r.GetValue(batch) },
        }, r.GetValue(outDir), r.GetValue(dataDir), r.GetValue(weights), r.GetValue(threads), ct)));
        return command;
    }

    internal static int Run(IAnsiConsole console, string name, SynthesizedCifar10Options options, string? outDir, string? dataDir, string? weights,
        int threads, CancellationToken ct)
    {
        if (!Names.Contains(name, StringComparer.Ordinal))
            throw new ArgumentException($"cannot synthesize '{name}': known are {string.Join(", ", Names)}");
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "--threads must be 0 (default) or positive");
        TorchRuntime.EnsureLoaded();
        if (threads > 0) TorchSharp.torch.set_num_threads(threads);
        string target = Path.GetFullPath(outDir ?? Path.Combine(ECQx.Data.Download.DataDirectory.Resolve(dataDir), "cifar10-synthesized"));
        string model = weights ?? BundledFiles.Require(BundledFiles.PretrainedResNet20, "The bundled pretrained ResNet20");
        console.MarkupLine($"Synthesizing {options.TestCount:N0} test + {options.TrainCount:N0} train images from [bold]{Markup.Escape(model)}[/] into [bold]{Markup.Escape(target)}[/]");
        console.MarkupLine(Markup.Escape(options.Inversion.Describe()));
        var clock = Stopwatch.StartNew();
        var progress = new ConsoleProgress(console, clock);
        string dir = SynthesizedCifar10.Write(target, model, options, progress, ct);
        console.MarkupLine($"[green]done[/] in {clock.Elapsed.TotalMinutes:F1} min: [bold]{Markup.Escape(dir)}[/]");
        console.MarkupLine(Markup.Escape(SynthesizedCifar10.MarkerText(dir) ?? ""));
        return 0;
    }

    /// <summary>One line per reported step, with the elapsed time (works in logs as well as terminals).</summary>
    private sealed class ConsoleProgress(IAnsiConsole console, Stopwatch clock) : IProgress<SynthesisProgress>
    {
        public void Report(SynthesisProgress value)
        {
            if (value.Step is null && !value.Reused) return;
            console.MarkupLine(Markup.Escape($"[{clock.Elapsed:hh\\:mm\\:ss}] {value}"));
        }
    }
}
