using System.Globalization;
using System.Text.Json;

namespace ECQx.Training;

/// <summary>
/// The settings of a training run that change its result, as flat name → value text, recorded in every checkpoint
/// and compared on resume: the model, the learning rate, weight decay, pre-training epochs, batches per epoch,
/// early stopping (patience, min delta), the relevance running-average factor, every setting of an
/// <see cref="EcqWeightQuantizer"/> (bits, ecq.lambda, ecqx.p, ecqx.rho, the β search, codebook and selection
/// options, gradient scaling), the relevance method, and the data's identity (<see cref="ECQx.Data.DatasetSplits.Identity"/>:
/// <c>data.name</c>, split sizes, classes, input shape and <c>data.content</c>, a fingerprint of the examples), so that a
/// resume on other data is refused. Seed and batch size are checked by the checkpoint itself.
/// The number of epochs may change (a resumed run can be extended), as may threads, device and checkpoint interval.
/// </summary>
public static class RunSettings
{
    /// <summary>The result-changing settings of a run; <paramref name="data"/> adds its identity (none for a one-shot run).</summary>
    public static SortedDictionary<string, string> Describe(TrainerOptions options, string modelName,
        IWeightQuantizer? quantizer, ECQx.Relevance.IWeightRelevanceMethod? relevance, ECQx.Data.DatasetSplits? data = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var s = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = modelName,
            ["learningRate"] = Text(options.LearningRate),
            ["weightDecay"] = Text(options.WeightDecay),
            ["pretrainEpochs"] = Text(options.PretrainEpochs),
            ["maxBatchesPerEpoch"] = options.MaxBatchesPerEpoch is int m ? Text(m) : "all",
            ["patience"] = Text(options.Patience),
            ["minDelta"] = Text(options.MinDelta),
            ["relevanceAlpha"] = Text(options.RelevanceAlpha),
            ["relevance"] = relevance?.Name ?? "none",
        };
        if (data is not null)
            foreach (var (k, v) in data.Identity()) s[k] = v;
        switch (quantizer)
        {
            case null:
                s["quantizer"] = "none";
                break;
            case EcqWeightQuantizer ecq:
                s["quantizer"] = nameof(EcqWeightQuantizer);
                Flatten(JsonSerializer.SerializeToElement(ecq.Settings, MetricsLog.Json), "", s);
                break;
            default:
                s["quantizer"] = quantizer.GetType().FullName ?? quantizer.GetType().Name;
                break;
        }
        return s;
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the checkpoint, the first setting that differs and both values
    /// (a setting present on one side only counts as different); for the data's identity (<c>data.*</c>) it says that the
    /// data differs, with the dataset names of both runs.
    /// </summary>
    public static void Compare(string path, IReadOnlyDictionary<string, string> recorded, IReadOnlyDictionary<string, string> current)
    {
        foreach (var key in recorded.Keys.Union(current.Keys).OrderBy(k => k, StringComparer.Ordinal))
        {
            string was = recorded.TryGetValue(key, out var a) ? a : "(not set)";
            string now = current.TryGetValue(key, out var b) ? b : "(not set)";
            if (string.Equals(was, now, StringComparison.Ordinal)) continue;
            if (key.StartsWith("data.", StringComparison.Ordinal))
                throw new ArgumentException(
                    $"{path}: the checkpoint was trained on other data: {key} = {was} then, {key} = {now} now " +
                    $"(dataset {Value(recorded, "data.name")} then, {Value(current, "data.name")} now); resuming would train on both — " +
                    "resume with the checkpoint's --dataset and --data-dir, or start a new run (another --out-dir, or without --resume)");
            throw new ArgumentException(
                $"{path}: the checkpoint was written with {key} = {was}, but this run has {key} = {now}; resuming would mix two " +
                "settings — use the checkpoint's settings, or start a new run (another --out-dir, or without --resume)");
        }
    }

    private static string Value(IReadOnlyDictionary<string, string> settings, string key) =>
        settings.TryGetValue(key, out var v) ? "'" + v + "'" : "(not recorded)";

    private static void Flatten(JsonElement e, string prefix, SortedDictionary<string, string> into)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
                Flatten(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name, into);
            return;
        }
        into[prefix] = e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
    }

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string Text(int v) => v.ToString(CultureInfo.InvariantCulture);
}
