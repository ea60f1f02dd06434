using System.CommandLine;
using System.Globalization;
using ECQx.Quantization;
using ECQx.XaiCompression;
using ECQx.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx mixed-precision</c>: relevance-guided (or uniform) per-layer integer bit widths under an average-bits
/// budget, symmetric fixed-point quantization, STE fine-tuning; writes the state dict with <c>ecqx.step.*</c> /
/// <c>ecqx.bits.*</c> metadata for <c>ecqx compress</c> (docs/xai-compression.md).
/// </summary>
public sealed class MixedPrecisionVerb : ICliVerb
{
    private readonly XaiCompressionCommandOptions _o = new();
    private readonly Option<double> _budget = new("--budget") { Description = "average bits per weight over all conv/linear weights", Required = true };
    private readonly Option<string> _method = new("--method") { Description = "deeplift | lrp | magnitude | uniform", DefaultValueFactory = _ => "deeplift" };
    private readonly Option<int> _minBits = new("--min-bits") { Description = "smallest per-layer bit width (≥ 2)", DefaultValueFactory = _ => 2 };
    private readonly Option<int> _maxBits = new("--max-bits") { Description = "largest per-layer bit width", DefaultValueFactory = _ => 8 };

    /// <inheritdoc />
    public Command Build() => Build(AnsiConsole.Console);

    internal Command Build(IAnsiConsole console)
    {
        return _o.Command("mixed-precision", "Relevance-guided per-layer integer bit allocation under a budget, fixed-point quantization, STE fine-tuning.",
            console, Run, _budget, _method, _minBits, _maxBits);
    }

    private int Run(ParseResult r, IAnsiConsole console, CancellationToken ct)
    {
        string method = XaiCompressionCommandOptions.MethodOrBaseline(r.GetValue(_method), "uniform", "--method");
        var device = _o.Device(r);
        var options = new MixedPrecisionOptions
        {
            Budget = r.GetValue(_budget), Method = method, MinBits = r.GetValue(_minBits), MaxBits = r.GetValue(_maxBits),
            Calibration = _o.Calibration(r, "deeplift"), FineTune = _o.FineTune(r, device),
        };
        options.Validate();
        var methods = _o.Methods(r, method, "uniform");
        var seeds = _o.SeedList(r);
        string outPath = _o.OutPath(r);
        string setting = $"{options.Budget.ToString(CultureInfo.InvariantCulture)} bits";
        var outcomes = new List<MethodOutcome>();
        var runs = new Table().AddColumns("method", "seed", "average bits spent", "bits per layer", "quantized %", "fine-tuned %");
        (MixedPrecisionResult Result, Module<Tensor, Tensor> Model)? primary = null;
        foreach (long seed in seeds)
            foreach (string m in methods)
            {
                var model = _o.LoadModel(r, device);
                using var data = _o.LoadData(r, device, seed);
                var result = MixedPrecision.Run(model, data, options with { Method = m, FineTune = options.FineTune with { Seed = seed } }, ct);
                outcomes.Add(new MethodOutcome(setting, result.Method, seed, result.AccuracyFineTuned, result.AverageBits));
                runs.AddRow(Markup.Escape(result.Method), seed.ToString(CultureInfo.InvariantCulture), result.AverageBits.ToString("F4", CultureInfo.InvariantCulture),
                    string.Join(" ", result.Layers.Select(l => l.Bits)), XaiCompressionCommandOptions.Pct(result.AccuracyQuantized), XaiCompressionCommandOptions.Pct(result.AccuracyFineTuned));
                if (primary is null) primary = (result, model);
                else foreach (var c in result.Codebooks.Values) c.Dispose();
            }
        var (first, firstModel) = primary!.Value;
        var table = new Table().AddColumns("layer", "weights", "relevance", "bits", "step");
        foreach (var l in first.Layers)
            table.AddRow(Markup.Escape(l.Name), l.Count.ToString(CultureInfo.InvariantCulture),
                double.IsNaN(l.Relevance) ? "–" : l.Relevance.ToString("G4", CultureInfo.InvariantCulture),
                l.Bits.ToString(CultureInfo.InvariantCulture), l.StepSize.ToString("G4", CultureInfo.InvariantCulture));
        console.Write(table);
        double step = BitAllocation.LayerStep(first.Layers.Select(l => new LayerBitInput(l.Name, l.Count, 0)).ToList());
        console.MarkupLine($"{first.Method}: {first.AverageBits.ToString("F4", CultureInfo.InvariantCulture)} bits/weight spent (budget {options.Budget.ToString(CultureInfo.InvariantCulture)}; " +
            $"{first.Allocation.TotalBits} of {first.Allocation.BudgetBits} bits; one layer's step {step.ToString("F4", CultureInfo.InvariantCulture)}); accuracy {XaiCompressionCommandOptions.Pct(first.AccuracyBefore)}% → quantized {XaiCompressionCommandOptions.Pct(first.AccuracyQuantized)}% → fine-tuned {XaiCompressionCommandOptions.Pct(first.AccuracyFineTuned)}%");
        if (outcomes.Count > 1)
        {
            console.Write(runs);
            if (methods.Count > 1) XaiCompressionCommandOptions.WriteComparisons(console, MethodComparison.Against(outcomes, outcomes.First(o => o.Method != first.Method).Method), "average bits");
        }
        using (var quantized = QuantizedModel.FromStateDict(firstModel.state_dict(), first.Codebooks))
            quantized.Save(outPath, new Dictionary<string, string>
        {
            ["ecqx.mixed.method"] = first.Method, ["ecqx.mixed.budget"] = options.Budget.ToString("R", CultureInfo.InvariantCulture),
            ["ecqx.test_accuracy"] = first.AccuracyFineTuned.ToString("R", CultureInfo.InvariantCulture),
        });
        foreach (var c in first.Codebooks.Values) c.Dispose();
        console.MarkupLine($"mixed-precision model: [bold]{Markup.Escape(outPath)}[/]");
        return 0;
    }
}
