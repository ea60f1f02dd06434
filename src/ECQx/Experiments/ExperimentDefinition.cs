using ECQx.Models;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>
/// One reproducible experiment (<c>primer</c>, <c>gsc</c>, <c>cifar10</c>): its dataset, models, default sweep
/// in full and quick mode, and where each model's full-precision baseline comes from.
/// </summary>
public abstract class ExperimentDefinition
{
    /// <summary>Canonical name (the <c>ecqx reproduce</c> argument).</summary>
    public abstract string Name { get; }
    /// <summary>Report title.</summary>
    public abstract string Title { get; }
    /// <summary>A paragraph for the report: what is reproduced and how.</summary>
    public abstract string Description { get; }
    /// <summary>The models this experiment can run (a <c>--models</c> subset must come from here).</summary>
    public abstract IReadOnlyList<string> SupportedModels { get; }
    /// <summary>Defaults in full or quick mode.</summary>
    public abstract ExperimentDefaults Defaults(bool quick);

    /// <summary>
    /// Loads (or in quick mode without a dataset, synthesises) the data. Datasets missing in offline mode throw
    /// <see cref="ECQx.Data.Download.DatasetNotAvailableException"/> saying what to download and where to put it.
    /// </summary>
    public abstract ExperimentData LoadData(ExperimentSettings settings, int batchSize, torch.Device device, Action<string>? log);

    /// <summary>Pretrained FP weights of <paramref name="model"/> (a safetensors state dict), or null to train the baseline here.</summary>
    public virtual string? PretrainedWeights(string model) => null;

    /// <summary>Throws an <see cref="ArgumentException"/> when a model is unknown or not part of this experiment.</summary>
    public void CheckModels(IEnumerable<string> models)
    {
        foreach (var m in models)
        {
            string canonical = ModelZoo.Describe(m).Name;
            if (!SupportedModels.Contains(canonical))
                throw new ArgumentException($"experiment '{Name}' runs the models {string.Join(", ", SupportedModels)}; '{m}' is not one of them");
        }
    }

    /// <summary>The resolved configuration: settings override the defaults of the mode.</summary>
    public ResolvedConfig Resolve(ExperimentSettings s, ExperimentData data)
    {
        var d = Defaults(s.Quick);
        var models = s.Models ?? d.Models;
        CheckModels(models);
        return new ResolvedConfig(Name, s.Quick, models.Select(m => ModelZoo.Describe(m).Name).Distinct().ToList(),
            s.Methods.ToList(), s.Relevance.Trim(), (s.Bits ?? d.Bits).ToList(), (s.Lambdas ?? d.Lambdas).ToList(),
            s.Epochs ?? d.Epochs, s.BaselineEpochs ?? d.BaselineEpochs, s.MaxBatchesPerEpoch ?? d.MaxBatchesPerEpoch, s.MaxBatchesPerEpoch ?? d.BaselineMaxBatchesPerEpoch,
            d.BatchSize, d.LearningRate, s.Seed, data.Description, s.Device, s.Threads, s.EcqxP, s.EcqxRho, data.Splits.Fingerprint);
    }
}
