using ECQx.Data;
using System.CommandLine;
using System.Globalization;
using ECQx.XaiCompression;
using ECQx.IO;
using ECQx.Models;
using ECQx.Training;
using Spectre.Console;
using TorchSharp;

namespace ECQx.Cli.Verbs;

/// <summary>Options shared by <c>ecqx prune</c>, <c>share</c> and <c>mixed-precision</c>: model, weights, data, calibration, fine-tuning, output.</summary>
internal sealed class XaiCompressionCommandOptions
{
    private readonly TrainingCommandOptions _t = new();
    public readonly Option<int> FineTuneEpochs = new("--finetune-epochs") { Description = "fine-tuning epochs after compression (0 = none)", DefaultValueFactory = _ => 0 };
    public readonly Option<int> CalibrationBatches = new("--calibration-batches") { Description = "batches N of the relevance calibration (mean |relevance| over N batches)", DefaultValueFactory = _ => 8 };
    public readonly Option<string> Out = new("--out") { Description = "output safetensors state dict", Required = true };
    public readonly Option<string?> Compare = new("--compare") { Description = "also run this method (e.g. the baseline: magnitude, none, uniform) at the same budget on the same seeds, and print method − it, paired by seed, with a 95 % interval" };
    public readonly Option<string?> Seeds = new("--seeds") { Description = "comma-separated seeds (data order, calibration batches, fine-tuning); each runs every method once; default: --seed. The model written is the first seed's of --method" };

    public void AddTo(Command c)
    {
        foreach (Option o in new Option[] { _t.Model, _t.Weights, _t.Dataset, _t.DataDir, _t.BatchSize, _t.LearningRate, _t.Seed, _t.Device, _t.Threads, _t.MaxBatches, FineTuneEpochs, CalibrationBatches, Out, Compare, Seeds })
            c.Options.Add(o);
    }

    public torch.Device Device(ParseResult r) => TorchRuntime.ParseDevice(r.GetValue(_t.Device)!);

    /// <summary>The seeds of <c>--seeds</c> (distinct, in order), or <c>--seed</c> alone.</summary>
    public IReadOnlyList<long> SeedList(ParseResult r)
    {
        string? text = r.GetValue(Seeds);
        if (string.IsNullOrWhiteSpace(text)) return new[] { r.GetValue(_t.Seed) };
        var seeds = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out long s)) throw new ArgumentException($"--seeds: '{part}' is not an integer seed");
            if (!seeds.Contains(s)) seeds.Add(s);
        }
        if (seeds.Count == 0) throw new ArgumentException("--seeds lists no seed");
        return seeds;
    }

    /// <summary>The methods to run: <paramref name="method"/>, then <c>--compare</c> when given (checked like the verb's own method).</summary>
    public IReadOnlyList<string> Methods(ParseResult r, string method, string? baselineKeyword)
    {
        string? compare = r.GetValue(Compare);
        if (string.IsNullOrWhiteSpace(compare)) return new[] { method };
        string c = baselineKeyword is null ? Method(compare, "--compare") : MethodOrBaseline(compare, baselineKeyword, "--compare");
        if (string.Equals(c.Trim(), method.Trim(), StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"--compare names the same method as the verb's own ('{method}')");
        return new[] { method, c };
    }

    public DatasetSplits LoadData(ParseResult r, torch.Device device, long seed) => _t.LoadData(r, device, seed);

    /// <summary>Writes the paired comparisons (method − baseline per seed, with the spent budgets) as a table.</summary>
    public static void WriteComparisons(IAnsiConsole console, IReadOnlyList<MethodComparison> comparisons, string spentUnit)
    {
        var table = new Table().AddColumns("comparison", $"spent ({spentUnit})", "difference (points, paired by seed)", "verdict");
        foreach (var c in comparisons)
            table.AddRow(Markup.Escape($"{c.Method} − {c.Baseline} at {c.Setting}"),
                Markup.Escape($"{MethodComparison.FormatSpent(c.MethodSpent)} vs {MethodComparison.FormatSpent(c.BaselineSpent)}"),
                Markup.Escape(c.Difference.ToString()), Markup.Escape(c.Verdict));
        console.Write(table);
    }

    public TrainerOptions FineTune(ParseResult r, torch.Device device)
    {
        int epochs = r.GetValue(FineTuneEpochs);
        if (epochs < 0) throw new ArgumentException($"--finetune-epochs must be ≥ 0 (got {epochs})");
        var o = new TrainerOptions
        {
            Epochs = epochs, BatchSize = r.GetValue(_t.BatchSize), LearningRate = r.GetValue(_t.LearningRate), Seed = r.GetValue(_t.Seed),
            Device = device, Threads = r.GetValue(_t.Threads), MaxBatchesPerEpoch = r.GetValue(_t.MaxBatches), Patience = 0,
        };
        o.Validate();
        return o;
    }

    public CalibrationOptions Calibration(ParseResult r, string method) => new()
    {
        Method = method, Batches = r.GetValue(CalibrationBatches),
    };

    /// <summary>The model named by <c>--model</c> with <c>--weights</c> loaded (a structurally pruned state dict is accepted).</summary>
    public torch.nn.Module<torch.Tensor, torch.Tensor> LoadModel(ParseResult r, torch.Device device)
    {
        var model = ModelZoo.Create(r.GetValue(_t.Model)!, seed: r.GetValue(_t.Seed));
        if (r.GetValue(_t.Weights) is string w)
        {
            using var state = TrainingCommandOptions.LoadStateDict(w, out _);
            model = StructuredPruning.ShapeLike(model, state);
            StateDictLoader.Load(model, state, w);
        }
        model.to(device);
        return model;
    }

    public DatasetSplits LoadData(ParseResult r, torch.Device device) => _t.LoadData(r, device);

    public string OutPath(ParseResult r)
    {
        string p = r.GetValue(Out)!;
        if (string.IsNullOrWhiteSpace(p)) throw new ArgumentException("--out is empty");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(p));
        if (dir is not null) Directory.CreateDirectory(dir);
        return p;
    }

    public static string Pct(double v) => double.IsNaN(v) ? "–" : v.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>
    /// A verb named <paramref name="name"/> with these shared options and <paramref name="extra"/>, running
    /// <paramref name="run"/> with the CLI's error handling.
    /// </summary>
    public Command Command(string name, string description, IAnsiConsole console, Func<ParseResult, IAnsiConsole, CancellationToken, int> run, params Option[] extra)
    {
        var cmd = new Command(name, description);
        AddTo(cmd);
        foreach (Option opt in extra) cmd.Options.Add(opt);
        cmd.SetAction(r => CliRun.Guarded(console, ct => run(r, console, ct)));
        return cmd;
    }

    /// <summary><paramref name="name"/> unchanged when it is the verb's baseline keyword (e.g. <c>none</c>, <c>uniform</c>), else a checked relevance method (<see cref="Method"/>).</summary>
    public static string MethodOrBaseline(string? name, string baseline, string option) =>
        string.Equals((name ?? "").Trim(), baseline, StringComparison.OrdinalIgnoreCase) ? name ?? "" : Method(name, option);

    /// <summary>Maps the user-facing method names (<c>deeplift|lrp|magnitude</c> or any registry name) to a relevance method name.</summary>
    public static string Method(string? name, string option)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"{option} is empty");
        try { (ECQx.Relevance.RelevanceMethods.Create(name) as IDisposable)?.Dispose(); }
        catch (ArgumentException e) { throw new ArgumentException($"{option}: {e.Message}", e); }
        return name.Trim();
    }

    public static void Save(string path, torch.nn.Module model, IReadOnlyDictionary<string, string> metadata) =>
        SafeTensors.Save(path, model.state_dict(), metadata);
}
