using System.CommandLine;
using System.Globalization;
using ECQx.IO;
using ECQx.Training;
using ECQx.XaiCompression;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx prune</c>: DeepLIFT/LRP/magnitude-guided structured (filters, the model shrinks) or unstructured (weights,
/// a fixed mask) pruning to a target ratio, a remaining-parameter count or (filters) remaining FLOPs, globally or per layer,
/// with optional fine-tuning (docs/xai-compression.md).
/// </summary>
public sealed class PruneVerb : ICliVerb
{
    private readonly XaiCompressionCommandOptions _o = new();
    private readonly Option<string> _method = new("--method") { Description = "deeplift | lrp | magnitude (or any relevance method name)", DefaultValueFactory = _ => "deeplift" };
    private readonly Option<string> _structure = new("--structure") { Description = "filter (structured) | weight (unstructured)", DefaultValueFactory = _ => "weight" };
    private readonly Option<double?> _ratio = new("--ratio") { Description = "fraction of units to prune, in [0, 1) (or give --remaining-parameters)" };
    private readonly Option<double?> _remaining = new("--remaining-parameters") { Description = "the matched budget: parameters that remain, as a count (> 1) or a fraction of the model's (≤ 1); weights: exactly, filters: within one filter (global scope)" };
    private readonly Option<double?> _remainingFlops = new("--remaining-flops") { Description = "the matched arithmetic budget of filter pruning: FLOPs per example that remain (conv and linear layers), as a count (> 1) or a fraction of the model's (≤ 1); within one filter's FLOPs (global scope)" };
    private readonly Option<string> _scope = new("--scope") { Description = "global | layer", DefaultValueFactory = _ => "global" };

    /// <inheritdoc />
    public Command Build() => Build(AnsiConsole.Console);

    internal Command Build(IAnsiConsole console)
    {
        return _o.Command("prune", "XAI-guided pruning of filters or weights (DeepLIFT, LRP or magnitude scores), then fine-tuning.",
            console, Run, _method, _structure, _ratio, _remaining, _remainingFlops, _scope);
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
        double? ratio = r.GetValue(_ratio);
        double? remaining = r.GetValue(_remaining);
        double? remainingFlops = r.GetValue(_remainingFlops);
        if ((ratio is null ? 0 : 1) + (remaining is null ? 0 : 1) + (remainingFlops is null ? 0 : 1) != 1)
            throw new ArgumentException("give exactly one of --ratio, --remaining-parameters and --remaining-flops");
        if (ratio is double q && !(q >= 0 && q < 1)) throw new ArgumentException($"--ratio must lie in [0, 1) (got {q.ToString(CultureInfo.InvariantCulture)})");
        if (remaining is double m0 && !(m0 > 0 && double.IsFinite(m0))) throw new ArgumentException($"--remaining-parameters must be a positive count or fraction (got {remaining?.ToString(CultureInfo.InvariantCulture)})");
        if (remainingFlops is double f0 && !(f0 > 0 && double.IsFinite(f0))) throw new ArgumentException($"--remaining-flops must be a positive count or fraction (got {remainingFlops?.ToString(CultureInfo.InvariantCulture)})");
        var structure = ParseStructure(r.GetValue(_structure));
        var scope = ParseScope(r.GetValue(_scope));
        if (remainingFlops is not null && structure != PruningStructure.Filter) throw new ArgumentException("--remaining-flops is for filter pruning: add --structure filter");
        string method = XaiCompressionCommandOptions.Method(r.GetValue(_method), "--method");
        var methods = _o.Methods(r, method, null);
        var seeds = _o.SeedList(r);
        string outPath = _o.OutPath(r);
        var device = _o.Device(r);
        long? target = null;
        if (remaining is double rem)
        {
            long total;
            using (var counted = _o.LoadModel(r, device)) total = ModelEvaluation.ParameterCount(counted);
            target = rem <= 1 ? (long)Math.Round(rem * total) : (long)Math.Round(rem);
        }
        long? targetFlops = null;
        if (remainingFlops is double remF)
        {
            long total;
            using (var counted = _o.LoadModel(r, device))
            using (var shapeData = _o.LoadData(r, device, seeds[0]))
                total = ModelCosts.Measure(counted, shapeData.Test.InputShape).Flops;
            targetFlops = remF <= 1 ? (long)Math.Round(remF * total) : (long)Math.Round(remF);
        }
        string setting = target is long t0 ? $"{t0:N0} parameters" : targetFlops is long f1 ? $"{f1:N0} FLOPs"
            : $"ratio {ratio!.Value.ToString(CultureInfo.InvariantCulture)}";
        var outcomes = new List<MethodOutcome>();
        var runs = new Table().AddColumns("method", "seed", "remaining parameters", "MFLOPs", "accuracy pruned %", "fine-tuned %");
        PruningResult? primary = null;
        foreach (long seed in seeds)
            foreach (string m in methods)
            {
                var model = _o.LoadModel(r, device);
                using var data = _o.LoadData(r, device, seed);
                var result = Pruning.Run(model, data, new PruningOptions
                {
                    Ratio = ratio ?? 0, RemainingParameters = target, RemainingFlops = targetFlops, Structure = structure, Scope = scope,
                    Calibration = _o.Calibration(r, m), FineTune = _o.FineTune(r, device) with { Seed = seed },
                }, ct);
                outcomes.Add(new MethodOutcome(setting, m, seed, result.AccuracyFineTuned, targetFlops is null ? result.RemainingParameters : result.RemainingFlops));
                runs.AddRow(Markup.Escape(m), seed.ToString(CultureInfo.InvariantCulture),
                    result.RemainingParameters.ToString("N0", CultureInfo.InvariantCulture) + (target is long t ? $" (target {t:N0})" : ""),
                    (result.CostAfter!.Flops / 1e6).ToString("F3", CultureInfo.InvariantCulture) + (targetFlops is long tf ? $" (target {tf / 1e6:F3})" : ""),
                    XaiCompressionCommandOptions.Pct(result.AccuracyPruned), XaiCompressionCommandOptions.Pct(result.AccuracyFineTuned));
                if (primary is null) primary = result;
                else if (result.Masks is { } others) new TensorDictionary(others).Dispose(); // the caller owns the keep-masks
            }
        var table = new Table().AddColumns("layer", "units", "pruned", "%");
        foreach (var l in primary!.Layers)
            table.AddRow(Markup.Escape(l.Name), l.Units.ToString(CultureInfo.InvariantCulture), l.Pruned.ToString(CultureInfo.InvariantCulture),
                (100.0 * l.Pruned / l.Units).ToString("F1", CultureInfo.InvariantCulture));
        console.Write(table);
        console.MarkupLine($"{method}, {structure.ToString().ToLowerInvariant()}s, {scope.ToString().ToLowerInvariant()}: pruned {primary.PrunedUnits} of {primary.TotalUnits} units; " +
            $"parameters {primary.ParametersBefore} → {primary.ParametersAfter} ({primary.NonZeroAfter} non-zero); remaining (spent budget) {primary.RemainingParameters}" +
            (target is long tt ? $" of the target {tt}" : "") + $"; MFLOPs {(primary.CostBefore!.Flops / 1e6).ToString("F3", CultureInfo.InvariantCulture)} → {(primary.CostAfter!.Flops / 1e6).ToString("F3", CultureInfo.InvariantCulture)}" +
            (targetFlops is long ttf ? $" (spent budget {primary.RemainingFlops:N0} FLOPs of the target {ttf:N0})" : ""));
        console.MarkupLine($"accuracy: {XaiCompressionCommandOptions.Pct(primary.AccuracyBefore)}% → pruned {XaiCompressionCommandOptions.Pct(primary.AccuracyPruned)}% → fine-tuned {XaiCompressionCommandOptions.Pct(primary.AccuracyFineTuned)}%");
        if (outcomes.Count > 1)
        {
            console.Write(runs);
            if (methods.Count > 1) XaiCompressionCommandOptions.WriteComparisons(console, MethodComparison.Against(outcomes, methods[1]), targetFlops is null ? "remaining parameters" : "remaining FLOPs");
        }
        XaiCompressionCommandOptions.Save(outPath, primary.Model, new Dictionary<string, string>
        {
            ["ecqx.prune.method"] = method, ["ecqx.prune.structure"] = structure.ToString().ToLowerInvariant(),
            ["ecqx.prune.scope"] = scope.ToString().ToLowerInvariant(),
            [target is not null ? "ecqx.prune.remaining_parameters" : targetFlops is not null ? "ecqx.prune.remaining_flops" : "ecqx.prune.ratio"] =
                target is long t1 ? t1.ToString(CultureInfo.InvariantCulture) : targetFlops is long tf1 ? tf1.ToString(CultureInfo.InvariantCulture) : ratio!.Value.ToString("R", CultureInfo.InvariantCulture),
            ["ecqx.test_accuracy"] = primary.AccuracyFineTuned.ToString("R", CultureInfo.InvariantCulture),
        });
        if (primary.Masks is { } kept) new TensorDictionary(kept).Dispose();
        console.MarkupLine($"pruned model: [bold]{Markup.Escape(outPath)}[/]");
        return 0;
    }
}
