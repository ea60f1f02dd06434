using System.CommandLine;
using System.Globalization;
using ECQx.IO;
using ECQx.Models;
using ECQx.Relevance;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Cli.Verbs;

/// <summary>Everything <c>ecqx explain</c> needs, as parsed from the command line.</summary>
internal sealed record ExplainOptions
{
    public required string Model { get; init; }
    public required string Weights { get; init; }
    public required string Inputs { get; init; }
    public string? Targets { get; init; }
    public string Method { get; init; } = "lrp";
    public string WeightRule { get; init; } = "epsilon";
    public string Canonizer { get; init; } = ECQx.Relevance.Lrp.Canonizers.Default;
    public string Output { get; init; } = "output";
    public string? Reference { get; init; }
    public long Seed { get; init; }
    public int? NumClasses { get; init; }
    public string Device { get; init; } = "cpu";
    public int BatchSize { get; init; } = 128;
    public required string Out { get; init; }
    public string? InputRelevance { get; init; }
}

/// <summary>
/// <c>ecqx explain</c>: weight (and input) relevance of a model for a set of inputs. Loads a zoo model with a
/// PyTorch-named safetensors state dict, reads inputs (and optional integer targets; default: the predicted
/// class) from <c>.npy</c>, runs a relevance method (<c>lrp</c>, <c>lrp:&lt;composite&gt;</c>, <c>deeplift</c>,
/// <c>gradxweight</c>, <c>magnitude</c>, <c>random</c>) in chunks of <c>--batch-size</c>, and writes one relevance
/// tensor per parameter (summed over all inputs, divided by their number as if they were one batch) to a
/// safetensors file, and optionally the input relevance to <c>.npy</c>. Inputs (and a DeepLIFT reference file) must be
/// finite and must give finite logits (float32 inputs near 3e38 overflow in the first layer); the error names the
/// file and the first offending sample. Exit codes: 0 success, 2 bad input, 1 output not writable (see <see cref="CliRun"/>).
/// </summary>
public sealed class ExplainVerb : ICliVerb
{
    /// <summary>Exit code for unusable input (missing or malformed file, unknown name, wrong shape).</summary>
    public const int ExitBadInput = CliRun.BadInput;

    /// <summary>Console used for output (tests substitute a recording console).</summary>
    internal static IAnsiConsole Console { get; set; } = AnsiConsole.Console;

    /// <inheritdoc />
    public Command Build()
    {
        var model = new Option<string>("--model") { Description = $"Model name: {string.Join(", ", ModelZoo.Names)}", Required = true };
        var weights = new Option<string>("--weights") { Description = "State dict (.safetensors, PyTorch parameter names)", Required = true };
        var inputs = new Option<string>("--inputs") { Description = "Inputs [N, …] as .npy (float32/float64)", Required = true };
        var targets = new Option<string?>("--targets") { Description = "Target classes [N] as .npy (integers); default: the predicted class" };
        var method = new Option<string>("--method") { Description = "lrp | lrp:<composite> | deeplift[:zeros|:mean] | gradxweight | magnitude | random", DefaultValueFactory = _ => "lrp" };
        var weightRule = new Option<string>("--weight-rule") { Description = "LRP weight rule: epsilon | gamma", DefaultValueFactory = _ => "epsilon" };
        var canonizer = new Option<string>("--canonizer") { Description = "LRP canonizer: bn_affine (BN re-parameterisation; the reference's resnet) | merge_bn | none", DefaultValueFactory = _ => ECQx.Relevance.Lrp.Canonizers.Default };
        var output = new Option<string>("--output-relevance") { Description = "LRP start relevance: output (target logit) | ones | probability", DefaultValueFactory = _ => "output" };
        var reference = new Option<string?>("--reference") { Description = "DeepLIFT reference: zeros (default) | mean (of all inputs) | a .npy file (one sample, or one per input)" };
        var seed = new Option<long>("--seed") { Description = "Seed of the random control", DefaultValueFactory = _ => 0 };
        var classes = new Option<int?>("--num-classes") { Description = "Number of classes (default: the model's)" };
        var device = new Option<string>("--device") { Description = "cpu | cuda | cuda:N | auto", DefaultValueFactory = _ => "cpu" };
        var batch = new Option<int>("--batch-size") { Description = "Inputs per relevance pass", DefaultValueFactory = _ => 128 };
        var outPath = new Option<string>("--out") { Description = "Output weight relevances (.safetensors)", Required = true };
        var inputRel = new Option<string?>("--input-relevance") { Description = "Also write the input relevance [N, …] to this .npy file" };

        var cmd = new Command("explain", "Weight relevance (LRP, DeepLIFT, controls) of a model for a set of inputs");
        foreach (var o in new Option[] { model, weights, inputs, targets, method, weightRule, canonizer, output, reference, seed, classes, device, batch, outPath, inputRel })
            cmd.Options.Add(o);
        cmd.SetAction(r => Run(new ExplainOptions
        {
            Model = r.GetValue(model)!, Weights = r.GetValue(weights)!, Inputs = r.GetValue(inputs)!, Targets = r.GetValue(targets),
            Method = r.GetValue(method)!, WeightRule = r.GetValue(weightRule)!, Canonizer = r.GetValue(canonizer)!,
            Output = r.GetValue(output)!, Reference = r.GetValue(reference), Seed = r.GetValue(seed), NumClasses = r.GetValue(classes),
            Device = r.GetValue(device)!, BatchSize = r.GetValue(batch), Out = r.GetValue(outPath)!, InputRelevance = r.GetValue(inputRel),
        }));
        return cmd;
    }

    internal static int Run(ExplainOptions o) => CliRun.Guarded(Console, _ =>
    {
        Explain(o);
        return 0;
    });

    private static void Explain(ExplainOptions o)
    {
        if (o.BatchSize < 1) throw new ArgumentException($"--batch-size must be ≥ 1, got {o.BatchSize}");
        var device = TorchRuntime.ParseDevice(o.Device);
        var info = ModelZoo.Describe(o.Model);
        using var model = ModelZoo.Create(info.Name, o.NumClasses, device);
        StateDictLoader.LoadSafeTensors(model, o.Weights);
        model.eval();

        using var scope = NewDisposeScope();
        var x = Npy.Read(o.Inputs);
        if (!x.is_floating_point()) throw new ArgumentException($"{o.Inputs}: inputs must be float32 or float64, got {x.dtype}");
        if (x.dim() < 2 || x.shape[0] < 1) throw new ArgumentException($"{o.Inputs}: inputs must be a non-empty batch [N, …], got [{string.Join(", ", x.shape)}]");
        long perSample = x.numel() / x.shape[0], expected = info.SampleShape.Aggregate(1L, (a, b) => a * b);
        if (perSample != expected)
            throw new ArgumentException($"{o.Inputs}: samples of shape [{string.Join(", ", x.shape.Skip(1))}] do not fit model '{info.Name}', which takes [{string.Join(", ", info.SampleShape)}]");
        var originalShape = x.shape;
        x = ExplainInputChecks.ToFloat32(x, o.Inputs).reshape(new[] { x.shape[0] }.Concat(info.SampleShape).ToArray());
        long n = x.shape[0];
        ExplainInputChecks.CheckValues(x, o.Inputs, "input");
        var predicted = ExplainInputChecks.CheckedPredictions(model, x, o.BatchSize, device, o.Inputs, "input");

        Tensor y;
        string targetSource;
        if (o.Targets is not null)
        {
            y = Npy.Read(o.Targets);
            if (y.is_floating_point() || y.dtype == ScalarType.Bool) throw new ArgumentException($"{o.Targets}: targets must be integers, got {y.dtype}");
            if (y.dim() != 1 || y.shape[0] != n) throw new ArgumentException($"{o.Targets}: targets must be a vector of {n} class indices, got shape [{string.Join(", ", y.shape)}]");
            y = y.to_type(ScalarType.Int64);
            targetSource = Path.GetFileName(o.Targets);
        }
        else
        {
            y = predicted;
            targetSource = "predicted";
        }

        var options = new RelevanceOptions
        {
            WeightRule = o.WeightRule, Canonizer = o.Canonizer, Output = StartRelevance.Parse(o.Output),
            DeepLiftReference = ParseReference(o.Reference, x, model, o.BatchSize, device, out var perInputReference), Seed = o.Seed,
        };
        var method = ECQx.Relevance.RelevanceMethods.Create(o.Method, options);
        var sums = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var inputRel = new List<Tensor>();
        HashSet<string>? attributed = null;
        Console.Status().Start($"{method.Name}: {n} inputs", ctx =>
        {
            for (long s = 0; s < n; s += o.BatchSize)
            {
                long b = Math.Min(o.BatchSize, n - s);
                ctx.Status($"{method.Name}: inputs {s + 1}–{s + b} of {n}");
                using var inner = NewDisposeScope();
                var chunkMethod = perInputReference is null ? method
                    : ECQx.Relevance.RelevanceMethods.Create(o.Method, options with { DeepLiftReference = DeepLiftReference.Of(perInputReference.narrow(0, s, b)) });
                using var rel = chunkMethod.Attribute(model, x.narrow(0, s, b).to(device), y.narrow(0, s, b), withInputRelevance: o.InputRelevance is not null);
                double share = (double)b / n; // per-chunk results are divided by the chunk size; rescale to one batch of n
                foreach (var (name, r) in rel.Parameters)
                {
                    var part = r.mul(share).cpu();
                    sums[name] = (sums.TryGetValue(name, out var prev) ? prev.add(part) : part).MoveToOuterDisposeScope();
                }
                if (rel.Input is not null) inputRel.Add(rel.Input.mul(share).cpu().MoveToOuterDisposeScope());
                attributed ??= new HashSet<string>(rel.Attributed);
            }
        });

        var metadata = new Dictionary<string, string>
        {
            ["method"] = method.Name, ["model"] = info.Name, ["weights"] = Path.GetFileName(o.Weights),
            ["inputs"] = n.ToString(CultureInfo.InvariantCulture), ["targets"] = targetSource,
            ["attributed"] = string.Join(",", attributed ?? new HashSet<string>()),
        };
        SafeTensors.Save(o.Out, sums, metadata);
        if (o.InputRelevance is not null) Npy.Write(o.InputRelevance, cat(inputRel, 0).reshape(originalShape));

        var table = new Table().AddColumns("parameter", "shape", "Σ R", "max |R|");
        foreach (var (name, r) in sums.Where(kv => attributed?.Contains(kv.Key) ?? true).Take(40))
            table.AddRow(Markup.Escape(name), string.Join("×", r.shape),
                r.sum().ToDouble().ToString("G4", CultureInfo.InvariantCulture), r.abs().max().ToDouble().ToString("G4", CultureInfo.InvariantCulture));
        Console.Write(table);
        Console.MarkupLine($"[green]{Markup.Escape(method.Name)}[/]: {sums.Count} parameter relevances ({attributed?.Count ?? 0} attributed) for {n} inputs → [bold]{Markup.Escape(o.Out)}[/]" +
            (o.InputRelevance is null ? "" : $", input relevance → [bold]{Markup.Escape(o.InputRelevance)}[/]"));
    }

    /// <summary>The DeepLIFT reference: null (method default), the mean of all inputs, zeros, or a .npy file.</summary>
    private static DeepLiftReference? ParseReference(string? value, Tensor inputs, nn.Module<Tensor, Tensor> model, int batchSize, Device device, out Tensor? perInput)
    {
        perInput = null;
        if (value is null) return null;
        if (value.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var t = Npy.Read(value);
            if (!t.is_floating_point()) throw new ArgumentException($"{value}: a DeepLIFT reference must be float32 or float64, got {t.dtype}");
            t = ExplainInputChecks.ToFloat32(t, value);
            long per = inputs.numel() / inputs.shape[0];
            if (t.numel() == inputs.numel() && inputs.shape[0] > 1) t = t.reshape(inputs.shape);
            else if (t.numel() == per) t = t.reshape(inputs.shape.Skip(1).ToArray());
            else throw new ArgumentException($"{value}: a DeepLIFT reference of {t.numel()} values fits neither one input sample ({per} values) nor all inputs ({inputs.numel()})");
            bool oneSample = t.dim() == inputs.dim() - 1;
            var batched = oneSample ? t.unsqueeze(0) : t;
            ExplainInputChecks.CheckValues(batched, value, "reference sample");
            ExplainInputChecks.CheckedPredictions(model, batched, batchSize, device, value, "reference sample");
            if (oneSample) return DeepLiftReference.Of(t.MoveToOuterDisposeScope());
            perInput = t.MoveToOuterDisposeScope();
            return DeepLiftReference.Of(perInput);
        }
        var parsed = DeepLiftReference.Parse(value);
        // "mean" means the mean over all inputs, not over each chunk of --batch-size
        return parsed == DeepLiftReference.BatchMean ? DeepLiftReference.Of(inputs.mean(new long[] { 0 }).MoveToOuterDisposeScope()) : parsed;
    }
}
