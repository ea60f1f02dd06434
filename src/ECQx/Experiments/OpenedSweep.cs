using ECQx.IO;
using ECQx.Models;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>
/// An opened sweep: its experiment, device, loaded data (owned), resolved configuration, results folder and plan.
/// <see cref="Open"/> loads the data, resolves the configuration and checks (and, for training, writes) the run id's
/// <c>config.json</c>.
/// </summary>
internal sealed record OpenedSweep(ExperimentDefinition Definition, torch.Device Device, ExperimentData Data, ResolvedConfig Config,
    string RunId, string Directory, SweepPlan Plan) : IDisposable
{
    /// <summary>NNCodec, opened when the settings name it and the sweep trains (its sizes go into each run's result).</summary>
    public ECQx.Coding.Nnr.NnCodecInstallation? NnCodec { get; init; }

    /// <summary>
    /// Opens the sweep of <paramref name="settings"/>. Without <paramref name="training"/> (plan, report) the data stays on
    /// the CPU, so a login node without the runs' GPU can plan, write Slurm scripts and build reports; a plan that
    /// calibrates step times passes the runs' device as <paramref name="dataDevice"/> (nothing is written either way).
    /// </summary>
    public static OpenedSweep Open(ExperimentSettings settings, bool training, Action<string> log, torch.Device? dataDevice = null)
    {
        settings.Validate();
        TorchRuntime.EnsureLoaded();
        var def = ExperimentCatalog.Get(settings.Experiment);
        var device = training ? TorchRuntime.ParseDevice(settings.Device) : dataDevice ?? torch.CPU;
        if (settings.Threads is int threads) torch.set_num_threads(threads);
        var defaults = def.Defaults(settings.Quick);
        def.CheckModels(settings.Models ?? defaults.Models);

        var data = def.LoadData(settings, defaults.BatchSize, device, log);
        try
        {
            var config = def.Resolve(settings, data);
            string runId = settings.RunId ?? config.DefaultRunId();
            string dir = Path.GetFullPath(Path.Combine(settings.OutputRoot, def.Name, runId));
            PrepareFolder(dir, config, runId, write: training);
            log($"{def.Name}: results in {dir}");
            var plan = SweepPlan.Create(config, m => def.PretrainedWeights(m) is not null, m => ParameterCount(m, data.Classes),
                data.Splits.Train.Count, data.Splits.Test.Count);
            var nncodec = training && settings.NnCodecDirectory is string nnc ? ECQx.Coding.Nnr.NnCodecInstallation.Open(nnc) : null;
            if (nncodec is not null) log($"NNCodec: {nncodec.Folder} (its sizes are recorded beside .ecqx and NNR)");
            return new OpenedSweep(def, device, data, config, runId, dir, plan) { NnCodec = nncodec };
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>Frees the loaded data.</summary>
    public void Dispose() => Data.Dispose();

    private static long ParameterCount(string model, int classes)
    {
        using var m = ModelZoo.Create(model, classes, torch.CPU, 0);
        return m.parameters().Sum(p => p.numel());
    }

    /// <summary>
    /// Checks the run id's <c>config.json</c> against <paramref name="config"/> (another configuration, or the same one on
    /// data with another content fingerprint, is refused) and, when <paramref name="write"/>, writes it (creating the
    /// folder). Planning and reporting pass <c>false</c>: they write no configuration, so a plan needs no writable storage
    /// and a report only its own files' folder.
    /// </summary>
    private static void PrepareFolder(string dir, ResolvedConfig config, string runId, bool write)
    {
        string path = Path.Combine(dir, "config.json");
        if (File.Exists(path))
        {
            var existing = ResolvedConfig.FromJson(File.ReadAllText(path), path);
            if (existing.Identity() != config.Identity())
                throw new ArgumentException(
                    $"run id '{runId}' already holds results of a different configuration ({path}); choose another --run-id, or omit it to get one derived from the configuration");
            if (existing.DataContent is string was && config.DataContent is string now && was != now)
                throw new ArgumentException(
                    $"{path}: run id '{runId}' was run on other data: dataContent = {was} then, {now} now ({config.Data}); its complete " +
                    "steps would be mixed with steps on this data — run it with the data it was run on, or choose another --run-id");
        }
        if (write) AtomicFile.WriteAllText(path, config.ToJson()); // creates the folder; a failure names config.json
    }
}
