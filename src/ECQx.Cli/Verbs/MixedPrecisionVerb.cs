using System.CommandLine;
using System.Globalization;
using ECQx.Quantization;
using ECQx.XaiCompression;
using ECQx.Training;
using Spectre.Console;

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
        string outPath = _o.OutPath(r);
        var model = _o.LoadModel(r, device);
        var data = _o.LoadData(r, device);
        try
        {
            var result = MixedPrecision.Run(model, data, options, ct);
            var table = new Table().AddColumns("layer", "weights", "relevance", "bits", "step");
            foreach (var l in result.Layers)
                table.AddRow(Markup.Escape(l.Name), l.Count.ToString(CultureInfo.InvariantCulture),
                    double.IsNaN(l.Relevance) ? "–" : l.Relevance.ToString("G4", CultureInfo.InvariantCulture),
                    l.Bits.ToString(CultureInfo.InvariantCulture), l.StepSize.ToString("G4", CultureInfo.InvariantCulture));
            console.Write(table);
            console.MarkupLine($"{result.Method}: {result.AverageBits.ToString("F4", CultureInfo.InvariantCulture)} bits/weight (budget {options.Budget.ToString(CultureInfo.InvariantCulture)}; " +
                $"{result.Allocation.TotalBits} of {result.Allocation.BudgetBits} bits); accuracy {XaiCompressionCommandOptions.Pct(result.AccuracyBefore)}% → quantized {XaiCompressionCommandOptions.Pct(result.AccuracyQuantized)}% → fine-tuned {XaiCompressionCommandOptions.Pct(result.AccuracyFineTuned)}%");
            QuantizedStateDict.Save(outPath, model.state_dict(), result.Codebooks, new Dictionary<string, string>
            {
                ["ecqx.mixed.method"] = result.Method, ["ecqx.mixed.budget"] = options.Budget.ToString("R", CultureInfo.InvariantCulture),
                ["ecqx.test_accuracy"] = result.AccuracyFineTuned.ToString("R", CultureInfo.InvariantCulture),
            });
            foreach (var c in result.Codebooks.Values) c.Dispose();
            console.MarkupLine($"mixed-precision model: [bold]{Markup.Escape(outPath)}[/]");
            return 0;
        }
        finally { (data as IDisposable)?.Dispose(); }
    }
}
