using System.CommandLine;
using System.Globalization;
using ECQx.XaiCompression;
using Spectre.Console;
using TorchSharp;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx share</c>: weight sharing — per-layer (relevance-weighted) k-means into 2^b shared values, then fine-tuning
/// of the shared values (docs/xai-compression.md).
/// </summary>
public sealed class ShareVerb : ICliVerb
{
    private readonly XaiCompressionCommandOptions _o = new();
    private readonly Option<int> _bits = new("--bits") { Description = "index bits per weight (K = 2^bits shared values per layer, 1–8)", DefaultValueFactory = _ => 4 };
    private readonly Option<string> _weighting = new("--weighting") { Description = "deeplift | lrp | none (plain k-means) or any relevance method", DefaultValueFactory = _ => "deeplift" };
    private readonly Option<int> _iterations = new("--kmeans-iterations") { Description = "maximum k-means iterations", DefaultValueFactory = _ => 50 };

    /// <inheritdoc />
    public Command Build() => Build(AnsiConsole.Console);

    internal Command Build(IAnsiConsole console)
    {
        return _o.Command("share", "Weight sharing by (relevance-weighted) k-means per layer, then fine-tuning of the shared values.",
            console, Run, _bits, _weighting, _iterations);
    }

    private int Run(ParseResult r, IAnsiConsole console, CancellationToken ct)
    {
        string weighting = XaiCompressionCommandOptions.MethodOrBaseline(r.GetValue(_weighting), "none", "--weighting");
        var device = _o.Device(r);
        var calibration = _o.Calibration(r, "deeplift");
        var fineTune = _o.FineTune(r, device);
        var options = new WeightSharingOptions
        {
            Bits = r.GetValue(_bits), Weighting = weighting, KMeans = new KMeansOptions { MaxIterations = r.GetValue(_iterations), Seed = fineTune.Seed },
            Calibration = calibration, FineTune = fineTune,
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"--bits/--weighting/--kmeans-iterations: {e.Message}", e); }
        string outPath = _o.OutPath(r);
        var methods = _o.Methods(r, weighting, "none");
        var seeds = _o.SeedList(r);
        string setting = $"{options.Bits} bit";
        var outcomes = new List<MethodOutcome>();
        var runs = new Table().AddColumns("weighting", "seed", "storage bytes", "shared %", "fine-tuned %");
        (WeightSharingResult Result, torch.nn.Module<torch.Tensor, torch.Tensor> Model)? primary = null;
        foreach (long seed in seeds)
            foreach (string m in methods)
            {
                var model = _o.LoadModel(r, device);
                using var data = _o.LoadData(r, device, seed);
                var result = WeightSharing.Run(model, data, options with { Weighting = m, FineTune = fineTune with { Seed = seed }, KMeans = options.KMeans with { Seed = seed } }, ct);
                outcomes.Add(new MethodOutcome(setting, result.Weighting, seed, result.AccuracyFineTuned, result.StorageBits / 8.0));
                runs.AddRow(Markup.Escape(result.Weighting), seed.ToString(CultureInfo.InvariantCulture), (result.StorageBits / 8).ToString("N0", CultureInfo.InvariantCulture),
                    XaiCompressionCommandOptions.Pct(result.AccuracyShared), XaiCompressionCommandOptions.Pct(result.AccuracyFineTuned));
                if (primary is null) primary = (result, model);
                else foreach (var l in result.Layers) l.Dispose();
            }
        var (first, firstModel) = primary!.Value;
        var table = new Table().AddColumns("layer", "weights", "shared values", "k-means iterations", "objective");
        foreach (var l in first.Layers)
            table.AddRow(Markup.Escape(l.Name), l.Assignment.numel().ToString(CultureInfo.InvariantCulture), l.Centroids.numel().ToString(CultureInfo.InvariantCulture),
                (l.Objective.Count - 1).ToString(CultureInfo.InvariantCulture), l.Objective[^1].ToString("G4", CultureInfo.InvariantCulture));
        console.Write(table);
        console.MarkupLine($"{first.Weighting}, {first.Bits} bit: accuracy {XaiCompressionCommandOptions.Pct(first.AccuracyBefore)}% → shared {XaiCompressionCommandOptions.Pct(first.AccuracyShared)}% → fine-tuned {XaiCompressionCommandOptions.Pct(first.AccuracyFineTuned)}%; " +
            $"shared layers {first.StorageBits / 8} bytes (indices + float32 tables; the spent budget)");
        if (outcomes.Count > 1)
        {
            console.Write(runs);
            if (methods.Count > 1) XaiCompressionCommandOptions.WriteComparisons(console, MethodComparison.Against(outcomes, outcomes.First(o => o.Method != first.Weighting).Method), "bytes");
        }
        XaiCompressionCommandOptions.Save(outPath, firstModel, new Dictionary<string, string>
        {
            ["ecqx.share.bits"] = first.Bits.ToString(CultureInfo.InvariantCulture), ["ecqx.share.weighting"] = first.Weighting,
            ["ecqx.test_accuracy"] = first.AccuracyFineTuned.ToString("R", CultureInfo.InvariantCulture),
        });
        foreach (var l in first.Layers) l.Dispose();
        console.MarkupLine($"weight-shared model: [bold]{Markup.Escape(outPath)}[/]");
        return 0;
    }
}
