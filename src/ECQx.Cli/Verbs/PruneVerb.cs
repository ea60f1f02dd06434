using System.CommandLine;
using System.Globalization;
using ECQx.IO;
using ECQx.XaiCompression;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx prune</c>: DeepLIFT/LRP/magnitude-guided structured (filters, the model shrinks) or unstructured (weights,
/// a fixed mask) pruning to a target ratio, globally or per layer, with optional fine-tuning (docs/xai-compression.md).
/// </summary>
public sealed class PruneVerb : ICliVerb
{
    private readonly XaiCompressionCommandOptions _o = new();
    private readonly Option<string> _method = new("--method") { Description = "deeplift | lrp | magnitude (or any relevance method name)", DefaultValueFactory = _ => "deeplift" };
    private readonly Option<string> _structure = new("--structure") { Description = "filter (structured) | weight (unstructured)", DefaultValueFactory = _ => "weight" };
    private readonly Option<double> _ratio = new("--ratio") { Description = "fraction of units to prune, in [0, 1)", Required = true };
    private readonly Option<string> _scope = new("--scope") { Description = "global | layer", DefaultValueFactory = _ => "global" };

    /// <inheritdoc />
    public Command Build() => Build(AnsiConsole.Console);

    internal Command Build(IAnsiConsole console)
    {
        return _o.Command("prune", "XAI-guided pruning of filters or weights (DeepLIFT, LRP or magnitude scores), then fine-tuning.",
            console, Run, _method, _structure, _ratio, _scope);
    }

    internal static PruningStructure ParseStructure(string? s) => (s ?? "").Trim().ToLowerInvariant() switch
    {
        "filter" or "filters" or "structured" => PruningStructure.Filter,
        "weight" or "weights" or "unstructured" => PruningStructure.Weight,
        _ => throw new ArgumentException($"--structure must be filter or weight (got '{s}')"),
    };

    internal static PruningScope ParseScope(string? s) => (s ?? "").Trim().ToLowerInvariant() switch
    {
        "global" => PruningScope.Global,
        "layer" or "per-layer" => PruningScope.Layer,
        _ => throw new ArgumentException($"--scope must be global or layer (got '{s}')"),
    };

    private int Run(ParseResult r, IAnsiConsole console, CancellationToken ct)
    {
        double ratio = r.GetValue(_ratio);
        if (!(ratio >= 0 && ratio < 1)) throw new ArgumentException($"--ratio must lie in [0, 1) (got {ratio.ToString(CultureInfo.InvariantCulture)})");
        var structure = ParseStructure(r.GetValue(_structure));
        var scope = ParseScope(r.GetValue(_scope));
        string method = XaiCompressionCommandOptions.Method(r.GetValue(_method), "--method");
        string outPath = _o.OutPath(r);
        var device = _o.Device(r);
        var fineTune = _o.FineTune(r, device);
        var model = _o.LoadModel(r, device);
        var data = _o.LoadData(r, device);
        try
        {
            var result = Pruning.Run(model, data, new PruningOptions
            {
                Ratio = ratio, Structure = structure, Scope = scope, Calibration = _o.Calibration(r, method), FineTune = fineTune,
            }, ct);
            using var masks = result.Masks is { } m ? new TensorDictionary(m) : null; // the caller owns the keep-masks
            var table = new Table().AddColumns("layer", "units", "pruned", "%");
            foreach (var l in result.Layers)
                table.AddRow(Markup.Escape(l.Name), l.Units.ToString(CultureInfo.InvariantCulture), l.Pruned.ToString(CultureInfo.InvariantCulture),
                    (100.0 * l.Pruned / l.Units).ToString("F1", CultureInfo.InvariantCulture));
            console.Write(table);
            console.MarkupLine($"{method}, {structure.ToString().ToLowerInvariant()}s, {scope.ToString().ToLowerInvariant()}: pruned {result.PrunedUnits} of {result.TotalUnits} units; " +
                $"parameters {result.ParametersBefore} → {result.ParametersAfter} ({result.NonZeroAfter} non-zero)");
            console.MarkupLine($"accuracy: {XaiCompressionCommandOptions.Pct(result.AccuracyBefore)}% → pruned {XaiCompressionCommandOptions.Pct(result.AccuracyPruned)}% → fine-tuned {XaiCompressionCommandOptions.Pct(result.AccuracyFineTuned)}%");
            XaiCompressionCommandOptions.Save(outPath, result.Model, new Dictionary<string, string>
            {
                ["ecqx.prune.method"] = method, ["ecqx.prune.structure"] = structure.ToString().ToLowerInvariant(),
                ["ecqx.prune.scope"] = scope.ToString().ToLowerInvariant(), ["ecqx.prune.ratio"] = ratio.ToString("R", CultureInfo.InvariantCulture),
                ["ecqx.test_accuracy"] = result.AccuracyFineTuned.ToString("R", CultureInfo.InvariantCulture),
            });
            console.MarkupLine($"pruned model: [bold]{Markup.Escape(outPath)}[/]");
            return 0;
        }
        finally { (data as IDisposable)?.Dispose(); }
    }
}
