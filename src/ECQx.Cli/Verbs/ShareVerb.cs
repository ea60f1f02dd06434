using System.CommandLine;
using System.Globalization;
using ECQx.XaiCompression;
using Spectre.Console;

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
        var model = _o.LoadModel(r, device);
        var data = _o.LoadData(r, device);
        try
        {
            var result = WeightSharing.Run(model, data, options, ct);
            var table = new Table().AddColumns("layer", "weights", "shared values", "k-means iterations", "objective");
            foreach (var l in result.Layers)
                table.AddRow(Markup.Escape(l.Name), l.Assignment.numel().ToString(CultureInfo.InvariantCulture), l.Centroids.numel().ToString(CultureInfo.InvariantCulture),
                    (l.Objective.Count - 1).ToString(CultureInfo.InvariantCulture), l.Objective[^1].ToString("G4", CultureInfo.InvariantCulture));
            console.Write(table);
            console.MarkupLine($"{result.Weighting}, {result.Bits} bit: accuracy {XaiCompressionCommandOptions.Pct(result.AccuracyBefore)}% → shared {XaiCompressionCommandOptions.Pct(result.AccuracyShared)}% → fine-tuned {XaiCompressionCommandOptions.Pct(result.AccuracyFineTuned)}%; " +
                $"shared layers {result.StorageBits / 8} bytes (indices + float32 tables)");
            XaiCompressionCommandOptions.Save(outPath, model, new Dictionary<string, string>
            {
                ["ecqx.share.bits"] = result.Bits.ToString(CultureInfo.InvariantCulture), ["ecqx.share.weighting"] = result.Weighting,
                ["ecqx.test_accuracy"] = result.AccuracyFineTuned.ToString("R", CultureInfo.InvariantCulture),
            });
            foreach (var l in result.Layers) l.Dispose();
            console.MarkupLine($"weight-shared model: [bold]{Markup.Escape(outPath)}[/]");
            return 0;
        }
        finally { (data as IDisposable)?.Dispose(); }
    }
}
