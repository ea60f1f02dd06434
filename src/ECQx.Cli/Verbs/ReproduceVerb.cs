using System.CommandLine;
using System.Globalization;
using ECQx.Cli.Cluster;
using ECQx.Data.Download;
using ECQx.Experiments;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx reproduce [primer|gsc|cifar10]</c>: the main job. Runs the experiment's baseline and ECQ/ECQx sweep
/// (bit widths × Λ), codes every result into an .ecqx file and writes <c>results/&lt;experiment&gt;/&lt;run-id&gt;/</c>
/// with config, per-epoch JSON lines, results CSV, the coded models and <c>report.html</c>. Resumable: rerunning the
/// same command skips completed runs and continues an interrupted one.
/// </summary>
/// <remarks>
/// Modes for sweeps beyond one process (docs/cluster.md): <c>--plan [--json]</c> lists the runs and their state,
/// <c>--baselines-only</c>, <c>--shard I/N</c> and <c>--report</c> do one part of the sweep, and <c>--slurm</c> writes (and
/// with <c>--submit</c> submits) the Slurm chain baselines → array of shards → report.
/// </remarks>
public sealed class ReproduceVerb : ICliVerb
{
    /// <inheritdoc />
    public Command Build() => Build(AnsiConsole.Console);

    /// <summary>Builds the command rendering on <paramref name="console"/> (tests pass a recording console).</summary>
    internal static Command Build(IAnsiConsole console)
    {
        var experiment = new Argument<string>("experiment")
        {
            Description = $"{string.Join(" | ", ExperimentCatalog.Names)} (primer: offline, the bundled Fashion-MNIST sample)",
            DefaultValueFactory = _ => "primer",
        };
        var quick = new Option<bool>("--quick") { Description = "a short run: fewer runs and batches (primer: 2 bit at Λ 0.2, 0.4, 0.5 with the full training lengths, where ECQ collapses and ECQx does not; without --data-dir gsc speaks its corpus with espeak-ng once and cifar10 uses the bundled images synthesized from the pretrained ResNet20, labelled as such)" };
        var outDir = new Option<string>("--out-dir") { Description = "results root; the run goes to <out-dir>/<experiment>/<run-id>", DefaultValueFactory = _ => "results" };
        var runId = new Option<string?>("--run-id") { Description = "run folder name (default: quick-/full- + a hash of the configuration, so a rerun continues)" };
        var device = new Option<string>("--device") { Description = "cpu | cuda | cuda:N | auto", DefaultValueFactory = _ => "cpu" };
        var seed = new Option<long>("--seed") { Description = "seed (model initialisation, shuffles)", DefaultValueFactory = _ => 808 };
        var bits = new Option<string?>("--bits") { Description = "bit widths, comma-separated (default per experiment; primer: 2,3,4,5, quick 2)" };
        var lambdas = new Option<string?>("--lambdas") { Description = "Λ values, comma-separated (default per experiment)" };
        var epochs = new Option<int?>("--epochs") { Description = "quantization-aware epochs per run (default per experiment)" };
        var baselineEpochs = new Option<int?>("--baseline-epochs") { Description = "FP epochs for baselines trained here (default per experiment)" };
        var maxBatches = new Option<int?>("--max-batches") { Description = "stop every epoch after N batches" };
        var relevance = new Option<string>("--relevance") { Description = "ECQx relevance: lrp | lrp:<composite> | deeplift | gradxweight | magnitude | random", DefaultValueFactory = _ => "lrp" };
        var methods = new Option<string>("--methods") { Description = "ECQ,ECQx (default both)", DefaultValueFactory = _ => "ECQ,ECQx" };
        var models = new Option<string?>("--models") { Description = "models, comma-separated (cifar10: resnet20,vgg16; gsc: mlp_gsc; primer: mlp_28x28 or lenet5)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "dataset directory (primer: IDX files; gsc: extracted Speech Commands; cifar10: extracted binary archive)" };
        var dataStore = new Option<string?>("--data-store") { Description = $"dataset store for downloads (default: ${DataDirectory.EnvironmentVariable} or the user data folder)" };
        var offline = new Option<bool>("--offline") { Description = "never download; a missing dataset is an error saying what to put where" };
        var threads = new Option<int?>("--threads") { Description = "torch intra-op threads" };
        var plan = new Option<bool>("--plan") { Description = "list the sweep's runs (model, method, bits, Λ, estimated cost and wall time), their baselines and what is complete; trains nothing, but first times a few steps per model on --device (cached)" };
        var noCalibrate = new Option<bool>("--no-calibrate") { Description = "with --plan: do not time steps on this machine; print relative costs only (the default calibrates what the step-time cache lacks, see docs/cluster.md)" };
        var json = new Option<bool>("--json") { Description = "with --plan: print the plan as JSON" };
        var shard = new Option<string?>("--shard") { Description = "I/N: run only the runs of shard I (0-based) of N; their baselines must be complete" };
        var shards = new Option<int?>("--shards") { Description = "with --plan or --slurm: number of shards (default with --slurm: one per run)" };
        var baselinesOnly = new Option<bool>("--baselines-only") { Description = "compute only the full-precision baselines" };
        var reportOnly = new Option<bool>("--report") { Description = "run nothing: collect every complete run into results.csv/json and report.html" };
        var slurm = new Option<bool>("--slurm") { Description = "write Slurm sbatch scripts (baselines → array of shards → report) into <results>/slurm/" };
        var submit = new Option<bool>("--submit") { Description = "with --slurm: submit the scripts with sbatch and print the job ids" };
        var partition = new Option<string?>("--partition") { Description = "with --slurm: Slurm partition" };
        var gpus = new Option<int?>("--gpus-per-task") { Description = "with --slurm: GPUs per job (use with --device cuda)" };
        var cpus = new Option<int?>("--cpus-per-task") { Description = "with --slurm: CPUs per job (also the torch threads unless --threads)" };
        var time = new Option<string?>("--time") { Description = "with --slurm: time limit per job, Slurm format (e.g. 4:00:00); default: each job's calibrated estimate × 1.5 (at least 10 min) when --plan has calibrated, else the partition's" };
        var maxParallel = new Option<int?>("--max-parallel") { Description = "with --slurm: at most K shards at once" };
        var nncodec = new Option<string?>("--nncodec")
        {
            Description = "folder NNCodec (the MPEG NNR reference software) was built in: each run also records NNCodec's own sizes of its levels, " +
                          "the paper's accounting (default: without; $ECQX_NNCODEC_DIR or ~/.cache/ecqx-nncodec is where .ci/install-prereqs builds it)",
        };
        var claimLease = new Option<double?>("--claim-lease") { Description = "seconds after which a run claimed by a silent process on another host is taken over (default 600)" };

        var cmd = new Command("reproduce", "Reproduce an ECQ/ECQx experiment end to end: baseline, sweep, .ecqx coding, results and report.html.");
        cmd.Arguments.Add(experiment);
        foreach (Option o in new Option[] { quick, outDir, runId, device, seed, bits, lambdas, epochs, baselineEpochs, maxBatches, relevance, methods, models, dataDir, dataStore, offline, threads,
                                            plan, noCalibrate, json, shard, shards, baselinesOnly, reportOnly, slurm, submit, partition, gpus, cpus, time, maxParallel, claimLease, nncodec })
            cmd.Options.Add(o);
        cmd.SetAction(r => CliRun.Guarded(console, ct =>
        {
            var settings = new ExperimentSettings
            {
                Experiment = r.GetValue(experiment)!,
                Quick = r.GetValue(quick),
                OutputRoot = r.GetValue(outDir)!,
                RunId = r.GetValue(runId),
                Device = r.GetValue(device)!,
                Seed = r.GetValue(seed),
                Bits = ParseList(r.GetValue(bits), "--bits", s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
                Lambdas = ParseList(r.GetValue(lambdas), "--lambdas", s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)),
                Epochs = r.GetValue(epochs),
                BaselineEpochs = r.GetValue(baselineEpochs),
                MaxBatchesPerEpoch = r.GetValue(maxBatches),
                Relevance = r.GetValue(relevance)!,
                Methods = ParseList(r.GetValue(methods), "--methods", CanonicalMethod) ?? Array.Empty<string>(),
                Models = ParseList(r.GetValue(models), "--models", s => s),
                DataDirectory = r.GetValue(dataDir),
                DataStoreDirectory = r.GetValue(dataStore),
                Offline = r.GetValue(offline),
                Threads = r.GetValue(threads),
                ClaimLease = r.GetValue(claimLease) is double seconds ? CheckLease(seconds) : null,
                NnCodecDirectory = r.GetValue(nncodec),
            };
            var mode = ReproduceMode.From(r.GetValue(plan), r.GetValue(shard), r.GetValue(baselinesOnly), r.GetValue(reportOnly), r.GetValue(slurm));
            var slurmOptions = new SlurmOptions
            {
                Partition = r.GetValue(partition), GpusPerTask = r.GetValue(gpus), CpusPerTask = r.GetValue(cpus), Time = r.GetValue(time),
                MaxParallel = r.GetValue(maxParallel), Shards = r.GetValue(shards),
            };
            mode.CheckOptions(r.GetValue(json), r.GetValue(submit), slurmOptions, r.GetValue(noCalibrate));
            try
            {
                if (mode.Kind != ReproduceModeKind.All)
                    return ReproduceModes.Run(console, mode, settings, slurmOptions, r.GetValue(json), r.GetValue(submit), r.GetValue(noCalibrate), ct);
                var outcome = new ExperimentRunner(settings, line => console.MarkupLine(Markup.Escape(line))).Run(ct);
                console.Write(ResultsTable(outcome));
                if (outcome.Synthetic) console.MarkupLine("[yellow]synthetic data (quick mode without --data-dir: synthesized speech or a stand-in, see the data line of the report): not the paper's datasets[/]");
                console.MarkupLine($"{outcome.Results.Count} run(s), {outcome.Skipped.Count} already complete; report: [bold]{Markup.Escape(outcome.ReportPath)}[/]");
                return 0;
            }
            catch (DatasetNotAvailableException e)
            {
                console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
                return CliRun.BadInput;
            }
            catch (SlurmUnavailableException e)
            {
                console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
                return ReproduceModes.SlurmUnavailable;
            }
        }));
        return cmd;
    }

    private static TimeSpan CheckLease(double seconds) =>
        seconds > 0 && double.IsFinite(seconds) ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"--claim-lease must be a positive number of seconds (got {seconds.ToString(CultureInfo.InvariantCulture)})");

    private static string CanonicalMethod(string s) => s.Trim().ToLowerInvariant() switch
    {
        "ecq" => "ECQ",
        "ecqx" => "ECQx",
        _ => throw new FormatException($"unknown method '{s}' (use ECQ and/or ECQx)"),
    };

    /// <summary>Parses a comma-separated list; a bad item is an <see cref="ArgumentException"/> naming the option and the item.</summary>
    internal static IReadOnlyList<T>? ParseList<T>(string? text, string option, Func<string, T> parse)
    {
        if (text is null) return null;
        var items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0) throw new ArgumentException($"{option} needs at least one value (got '{text}')");
        return items.Select(item =>
        {
            try { return parse(item); }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new ArgumentException($"{option}: '{item}' is not valid ({e.Message})");
            }
        }).ToList();
    }

    internal static Table ResultsTable(ExperimentOutcome o)
    {
        var t = new Table().Title($"{o.Config.Experiment} / {o.RunId}");
        var rows = ExperimentReport.TableRows(o.Baselines, o.Results);
        bool nncodec = rows.Any(r => r.NnCodecBytes is not null);
        var columns = new List<string> { "model", "method", "bits", "Λ", "accuracy %", "sparsity %", ".ecqx bytes", "×", "NNR bytes", "NNR ×" };
        if (nncodec) columns.AddRange(["NNCodec bytes", "NNCodec × (paper)"]);
        foreach (var c in columns) t.AddColumn(c);
        var inv = CultureInfo.InvariantCulture;
        foreach (var r in rows)
        {
            var cells = new List<string> { Markup.Escape(r.Model), r.Method, r.Bits.ToString(inv), r.Lambda?.ToString(inv) ?? "",
                r.Accuracy.ToString("F2", inv), r.Sparsity.ToString("F1", inv), r.CodedBytes.ToString(inv), r.Factor.ToString("F1", inv),
                r.NnrBytes.ToString(inv), r.NnrFactor.ToString("F1", inv) };
            if (nncodec) cells.AddRange([r.NnCodecBytes?.ToString(inv) ?? "", r.NnCodecFactor?.ToString("F1", inv) ?? ""]);
            t.AddRow([.. cells]);
        }
        return t;
    }
}
