using System.CommandLine;
using System.Globalization;
using ECQx.Cli.Rendering;
using ECQx.Quantization;
using ECQx.Relevance;
using ECQx.Training;
using Spectre.Console;
using TorchSharp;
using ECQx.IO;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx quantize</c>: ECQ or ECQx quantization-aware training (§c.3), or with <c>--epochs 0</c> only the one-shot
/// initial quantization of a state dict (no dataset). Writes the quantized state dict with <c>ecqx.step.*</c> and
/// <c>ecqx.bits.*</c> metadata (<c>--out</c>), resumable with <c>--resume</c>, and prints summary tables.
/// </summary>
public sealed class QuantizeVerb : ICliVerb
{
    private readonly TrainingCommandOptions _o = new();
    private readonly Option<int> _bits = new("--bits") { Description = "bit width of every quantized tensor (1–8)", DefaultValueFactory = _ => 4 };
    private readonly Option<double> _lambda = new("--lambda") { Description = "Λ, the entropy-constraint strength (§a.4)", DefaultValueFactory = _ => 0.05 };
    private readonly Option<double> _p = new("--p") { Description = "ECQx sparsity slack p", DefaultValueFactory = _ => 0.1 };
    private readonly Option<double> _rho = new("--rho") { Description = "ECQx zero-cost factor ρ", DefaultValueFactory = _ => 2.0 };
    private readonly Option<bool> _ecqx = new("--ecqx") { Description = "relevance-driven ECQx (default relevance: lrp)" };
    private readonly Option<string?> _relevance = new("--relevance") { Description = "lrp | lrp:<composite> | deeplift | gradxweight | magnitude | random (implies --ecqx)" };
    private readonly Option<string?> _relevanceFile = new("--relevance-file") { Description = "precomputed relevances (safetensors, same names and shapes as the quantized tensors)" };
    private readonly Option<string?> _out = new("--out") { Description = "quantized state dict to write (default <out-dir>/quantized.safetensors)" };
    private readonly Option<int> _pretrain = new("--pretrain-epochs") { Description = "full-precision epochs before quantization", DefaultValueFactory = _ => 0 };

    /// <inheritdoc />
    public Command Build() => Build(AnsiConsole.Console);

    /// <summary>Builds the command rendering on <paramref name="console"/> (tests pass a recording console).</summary>
    internal Command Build(IAnsiConsole console)
    {
        var cmd = new Command("quantize", "ECQ/ECQx quantization-aware training, or one-shot quantization with --epochs 0.");
        _o.AddTo(cmd);
        foreach (Option opt in new Option[] { _bits, _lambda, _p, _rho, _ecqx, _relevance, _relevanceFile, _out, _pretrain }) cmd.Options.Add(opt);
        cmd.SetAction(r => CliRun.Guarded(console, ct => Run(r, console, ct)));
        return cmd;
    }

    private EcqQuantizerSettings Settings(ParseResult r)
    {
        double lambda = r.GetValue(_lambda), p = r.GetValue(_p), rho = r.GetValue(_rho);
        if (!(lambda >= 0) || double.IsInfinity(lambda)) throw new ArgumentException($"--lambda must be a finite number ≥ 0 (got {lambda.ToString(CultureInfo.InvariantCulture)})");
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"--p must lie in [0, 1] (got {p.ToString(CultureInfo.InvariantCulture)})");
        if (!(rho > 0) || double.IsInfinity(rho)) throw new ArgumentException($"--rho must be a finite number > 0 (got {rho.ToString(CultureInfo.InvariantCulture)})");
        var s = new EcqQuantizerSettings
        {
            Bits = r.GetValue(_bits),
            Ecq = EcqOptions.Default with { Lambda = lambda },
            Ecqx = EcqxOptions.Default with { P = p, Rho = rho },
        };
        s.Validate();
        return s;
    }

    private int Run(ParseResult r, IAnsiConsole console, CancellationToken ct)
    {
        var settings = Settings(r);
        int epochs = r.GetValue(_o.Epochs);
        string outDir = r.GetValue(_o.OutDir)!;
        string outPath = r.GetValue(_out) ?? Path.Combine(outDir, "quantized.safetensors");
        string? relevanceMethod = r.GetValue(_relevance);
        string? relevanceFile = r.GetValue(_relevanceFile);
        if (relevanceMethod is not null && relevanceFile is not null) throw new ArgumentException("give either --relevance or --relevance-file, not both");
        using var quantizer = new EcqWeightQuantizer(settings);

        if (epochs == 0 && r.GetValue(_pretrain) == 0)
            return OneShot(r, console, quantizer, relevanceMethod, relevanceFile, outPath);

        var device = TorchRuntime.ParseDevice(r.GetValue(_o.Device)!);
        var options = _o.Trainer(r, device, r.GetValue(_pretrain));
        options.Validate();
        var model = _o.CreateModel(r, device);
        var fixedRelevance = relevanceFile is null ? null : LoadRelevanceFile(relevanceFile, model, quantizer, device);
        IWeightRelevanceMethod? relevance = fixedRelevance;
        if (relevance is null && (relevanceMethod is not null || r.GetValue(_ecqx)))
            relevance = RelevanceMethods.Create(relevanceMethod ?? "lrp", new RelevanceOptions { Seed = r.GetValue(_o.Seed) });
        var data = _o.LoadData(r, device);
        try
        {
            using var trainer = new QuantizationAwareTrainer(model, data, options, quantizer, relevance);
            console.MarkupLine($"[bold]{(relevance is null ? "ECQ" : "ECQx (" + Markup.Escape(relevance.Name) + ")")}[/], {settings.Bits} bit, Λ = {settings.Ecq.Lambda.ToString(CultureInfo.InvariantCulture)}, {trainer.QuantizedNames.Count} quantized tensors");
            TrainingCommandOptions.AnnounceResume(console, options, trainer.CheckpointPath);
            int rows = 0;
            trainer.EpochCompleted += (_, _) => rows++;
            var result = TrainingProgressView.Run(console, trainer, ct);
            TrainingCommandOptions.ExplainNothingTrained(console, options, result, rows);
            trainer.SaveQuantizedStateDict(outPath);
            console.Write(SummaryTables.Epochs(result.History));
            if (result.History.Count > 0) console.Write(SummaryTables.Layers(result.History[^1].Layers));
            console.MarkupLine($"quantized model: [bold]{Markup.Escape(outPath)}[/]{(result.StoppedEarly ? " (stopped early)" : "")}");
            return 0;
        }
        finally
        {
            (data as IDisposable)?.Dispose();
            (relevance as IDisposable)?.Dispose();
        }
    }

    /// <summary>The <c>--epochs 0</c> path: quantize the state dict of <c>--weights</c> once, no model or data needed; an
    /// explicit <c>--model</c> is checked against the weights' names and shapes.</summary>
    private int OneShot(ParseResult r, IAnsiConsole console, EcqWeightQuantizer quantizer, string? relevanceMethod, string? relevanceFile, string outPath)
    {
        if (relevanceMethod is not null)
            throw new ArgumentException("--relevance computes relevances during training; with --epochs 0 supply them with --relevance-file");
        string weights = r.GetValue(_o.Weights) ?? throw new ArgumentException("--epochs 0 quantizes the given weights: --weights <state_dict.safetensors> is required");
        using var state = TrainingCommandOptions.LoadStateDict(weights, out _);
        if (r.GetResult(_o.Model) is { Implicit: false }) _o.CheckAgainstModel(r, state, weights);
        using var rel = relevanceFile is null ? null : TrainingCommandOptions.LoadStateDict(relevanceFile, out _);
        if (rel is not null)
            StateDictQuantizer.CheckRelevanceCoverage(state.Where(kv => quantizer.IsQuantized(kv.Key, kv.Value)).ToList(), rel);
        using var result = StateDictQuantizer.Quantize(state, quantizer.Settings, rel);
        using (var model = QuantizedModel.From(result)) model.Save(outPath);
        console.Write(SummaryTables.Layers(result.Layers.Select(ModelStatistics.Layer).ToList()));
        console.MarkupLine($"one-shot {(rel is null ? "ECQ" : "ECQx")}: [bold]{Markup.Escape(outPath)}[/]");
        return 0;
    }

    private static FixedWeightRelevance LoadRelevanceFile(string path, torch.nn.Module<torch.Tensor, torch.Tensor> model, IWeightQuantizer quantizer, torch.Device device)
    {
        using var rel = TrainingCommandOptions.LoadStateDict(path, out _);
        var quantized = model.named_parameters().Where(p => quantizer.IsQuantized(p.name, p.parameter))
            .Select(p => new KeyValuePair<string, torch.Tensor>(p.name, p.parameter)).ToList();
        try { StateDictQuantizer.CheckRelevanceCoverage(quantized, rel); }
        catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message}", e); }
        return new FixedWeightRelevance(rel, device, Path.GetFileName(path));
    }
}
