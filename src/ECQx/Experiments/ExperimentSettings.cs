using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ECQx.Experiments;

/// <summary>
/// Everything one <c>ecqx reproduce</c> invocation needs: which experiment, the sweep (bit widths × Λ,
/// ECQ and ECQx), training lengths, data location and where results go. Unset values (null) take the
/// experiment's defaults for full or quick mode (see <see cref="ExperimentDefinition.Resolve"/>).
/// </summary>
public sealed record ExperimentSettings
{
    /// <summary>Experiment name: <c>primer</c>, <c>gsc</c> or <c>cifar10</c>.</summary>
    public string Experiment { get; init; } = "primer";
    /// <summary>Shrink the experiment to a short run (fewer runs and batches; without a data directory, synthesized data for gsc/cifar10). See each experiment's <see cref="ExperimentDefinition.Defaults"/>.</summary>
    public bool Quick { get; init; }
    /// <summary>Root of all results; a run writes <c>&lt;OutputRoot&gt;/&lt;experiment&gt;/&lt;run-id&gt;/</c>.</summary>
    public string OutputRoot { get; init; } = "results";
    /// <summary>Run id (folder name); null = <c>quick-</c>/<c>full-</c> plus a hash of the configuration, so a rerun continues.</summary>
    public string? RunId { get; init; }
    /// <summary>Device: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>.</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Run seed (model initialisation, shuffles).</summary>
    public long Seed { get; init; } = 808;
    /// <summary>Bit widths of the sweep (2–5 in the paper); null = the experiment's default.</summary>
    public IReadOnlyList<int>? Bits { get; init; }
    /// <summary>Λ values of the sweep; null = the experiment's default.</summary>
    public IReadOnlyList<double>? Lambdas { get; init; }
    /// <summary>Quantization-aware epochs per run; null = the experiment's default.</summary>
    public int? Epochs { get; init; }
    /// <summary>Full-precision baseline epochs for models trained here (no pretrained weights); null = default.</summary>
    public int? BaselineEpochs { get; init; }
    /// <summary>Stop every epoch (baseline and quantization-aware) after this many batches; null = the experiment's defaults.</summary>
    public int? MaxBatchesPerEpoch { get; init; }
    /// <summary>Relevance method of ECQx (<c>lrp</c>, <c>lrp:&lt;composite&gt;</c>, <c>deeplift</c>, <c>gradxweight</c>, <c>magnitude</c>, <c>random</c>).</summary>
    public string Relevance { get; init; } = "lrp";
    /// <summary>Methods to run: any of <c>ECQ</c>, <c>ECQx</c> (both by default).</summary>
    public IReadOnlyList<string> Methods { get; init; } = new[] { "ECQ", "ECQx" };
    /// <summary>Models to run (null = the experiment's models, e.g. resnet20 and vgg16 for cifar10).</summary>
    public IReadOnlyList<string>? Models { get; init; }
    /// <summary>
    /// Dataset directory. primer: IDX files (bundled sample when null); gsc: an extracted Speech Commands tree;
    /// cifar10: the extracted binary archive. Null = the dataset store (download on first use), or in quick mode a
    /// synthetic stand-in.
    /// </summary>
    public string? DataDirectory { get; init; }
    /// <summary>Never download: a missing dataset is an error that says what to put where.</summary>
    public bool Offline { get; init; }
    /// <summary>Directory of the dataset store (downloads, extractions); null = <c>ECQX_DATA_DIR</c> or the default.</summary>
    public string? DataStoreDirectory { get; init; }
    /// <summary>Torch intra-op threads (null = torch's default).</summary>
    public int? Threads { get; init; }
    /// <summary>ECQx's p: the slack of the sparsity window <c>[s_E − p, s_E]</c> the β search aims at (null = 0.1, §a.4 step 10).</summary>
    public double? EcqxP { get; init; }
    /// <summary>ECQx's ρ: the zero-cluster cost is multiplied by <c>ρ·r^β</c> (null = 2, §a.4 step 10).</summary>
    public double? EcqxRho { get; init; }
    /// <summary>
    /// Lease of run claims (<see cref="RunClaim"/>): a run claimed by a process on another host that has not renewed its
    /// claim for this long is taken over. Null = <see cref="RunClaim.DefaultLease"/> (10 minutes).
    /// </summary>
    public TimeSpan? ClaimLease { get; init; }

    /// <summary>
    /// Folder NNCodec was built in (see <see cref="ECQx.Coding.Nnr.NnCodecInstallation"/>): when set, every run also records
    /// NNCodec's own sizes of its levels (the paper's accounting) beside the .ecqx and NNR sizes. Null = without NNCodec.
    /// Not part of the configuration (it changes no result, only adds sizes).
    /// </summary>
    public string? NnCodecDirectory { get; init; }

    /// <summary>The canonical experiment names.</summary>
    public static IReadOnlyList<string> ExperimentNames => ExperimentCatalog.Names;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        ExperimentCatalog.Get(Experiment);
        if (string.IsNullOrWhiteSpace(OutputRoot)) throw new ArgumentException("the output directory is empty");
        if (RunId is not null) CheckRunId(RunId);
        if (Bits is not null)
        {
            if (Bits.Count == 0) throw new ArgumentException("--bits needs at least one bit width");
            foreach (int b in Bits)
                if (b < 2 || b > 8) throw new ArgumentException($"bit width {b} is outside 2–8 (ECQ codebooks need a zero and both signs; the paper sweeps 2–5)");
            if (Bits.Distinct().Count() != Bits.Count) throw new ArgumentException($"--bits lists a bit width twice ({string.Join(",", Bits)})");
        }
        if (Lambdas is not null)
        {
            if (Lambdas.Count == 0) throw new ArgumentException("--lambdas needs at least one value");
            foreach (double l in Lambdas)
                if (!(l >= 0) || double.IsInfinity(l)) throw new ArgumentException($"Λ = {l.ToString(CultureInfo.InvariantCulture)} is not a finite number ≥ 0");
            if (Lambdas.Distinct().Count() != Lambdas.Count) throw new ArgumentException($"--lambdas lists a value twice ({string.Join(",", Lambdas.Select(l => l.ToString(CultureInfo.InvariantCulture)))})");
        }
        if (Epochs is < 0) throw new ArgumentException($"--epochs must be ≥ 0 (got {Epochs})");
        if (BaselineEpochs is < 0) throw new ArgumentException($"--baseline-epochs must be ≥ 0 (got {BaselineEpochs})");
        if (MaxBatchesPerEpoch is <= 0) throw new ArgumentException($"--max-batches must be positive (got {MaxBatchesPerEpoch})");
        if (Threads is <= 0) throw new ArgumentException($"--threads must be positive (got {Threads})");
        if (EcqxP is double p && !(p >= 0 && p <= 1)) throw new ArgumentException($"ECQx p = {p.ToString(CultureInfo.InvariantCulture)} is outside [0, 1] (a sparsity slack)");
        if (EcqxRho is double rho && !(rho > 0 && double.IsFinite(rho))) throw new ArgumentException($"ECQx ρ = {rho.ToString(CultureInfo.InvariantCulture)} must be a finite number > 0");
        if (ClaimLease is TimeSpan lease && lease <= TimeSpan.Zero) throw new ArgumentException($"--claim-lease must be positive (got {lease.TotalSeconds} s)");
        if (Methods.Count == 0) throw new ArgumentException("no method selected (use ECQ and/or ECQx)");
        foreach (var m in Methods)
            if (m is not ("ECQ" or "ECQx")) throw new ArgumentException($"unknown method '{m}'; use ECQ and/or ECQx");
        if (string.IsNullOrWhiteSpace(Relevance)) throw new ArgumentException("--relevance is empty");
        if (Methods.Contains("ECQx")) (ECQx.Relevance.RelevanceMethods.Create(Relevance) as IDisposable)?.Dispose(); // unknown names throw, listing the known ones
        if (DataDirectory is not null && !Directory.Exists(DataDirectory))
            throw new DirectoryNotFoundException($"--data-dir '{DataDirectory}' does not exist");
    }

    /// <summary>Checks that <paramref name="runId"/> is usable as one folder name.</summary>
    public static void CheckRunId(string runId)
    {
        if (string.IsNullOrWhiteSpace(runId) || runId is "." or ".." || runId.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || runId.Contains('/') || runId.Contains('\\'))
            throw new ArgumentException($"--run-id '{runId}' is not a valid folder name");
    }
}

/// <summary>
/// The fully resolved configuration of one experiment run (defaults applied), written to <c>config.json</c>.
/// Its hash (everything but the output location and the device) is the default run id.
/// </summary>
/// <param name="Experiment">Canonical experiment name.</param>
/// <param name="Quick">Quick mode.</param>
/// <param name="Models">Models, in run order.</param>
/// <param name="Methods">ECQ and/or ECQx.</param>
/// <param name="Relevance">ECQx relevance method.</param>
/// <param name="Bits">Bit widths.</param>
/// <param name="Lambdas">Λ values.</param>
/// <param name="Epochs">Quantization-aware epochs per run.</param>
/// <param name="BaselineEpochs">FP epochs for models trained here.</param>
/// <param name="MaxBatchesPerEpoch">Batch cap per quantization-aware epoch (null = whole epochs).</param>
/// <param name="BaselineMaxBatchesPerEpoch">Batch cap per FP baseline epoch (null = whole epochs).</param>
/// <param name="BatchSize">Batch size.</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="Seed">Seed.</param>
/// <param name="Data">Description of the data source (dataset, directory or "synthetic").</param>
/// <param name="Device">Device string.</param>
/// <param name="Threads">Torch threads, if fixed.</param>
/// <param name="EcqxP">ECQx's p when set (null = the default 0.1; left out of the JSON, so default runs keep their ids).</param>
/// <param name="EcqxRho">ECQx's ρ when set (null = the default 2; left out of the JSON when null).</param>
/// <param name="DataContent">The data's content fingerprint (<see cref="ECQx.Data.DatasetSplits.Fingerprint"/>); not part of
/// <see cref="Identity"/> (run ids stay stable), but a run id's steps are refused on data with another fingerprint.</param>
public sealed record ResolvedConfig(
    string Experiment, bool Quick, IReadOnlyList<string> Models, IReadOnlyList<string> Methods, string Relevance,
    IReadOnlyList<int> Bits, IReadOnlyList<double> Lambdas, int Epochs, int BaselineEpochs, int? MaxBatchesPerEpoch,
    int? BaselineMaxBatchesPerEpoch, int BatchSize, double LearningRate, long Seed, string Data, string Device, int? Threads,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? EcqxP = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? EcqxRho = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DataContent = null)
{
    /// <summary>The ECQx options of the quantization runs (the reference defaults with p and ρ applied).</summary>
    [JsonIgnore]
    public ECQx.Quantization.EcqxOptions EcqxOptions =>
        ECQx.Quantization.EcqxOptions.Default with { P = EcqxP ?? ECQx.Quantization.EcqxOptions.Default.P, Rho = EcqxRho ?? ECQx.Quantization.EcqxOptions.Default.Rho };

    /// <summary>JSON options of every results file (camelCase, indented, NaN allowed).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The configuration as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/> output.</summary>
    public static ResolvedConfig FromJson(string json, string source) =>
        JsonSerializer.Deserialize<ResolvedConfig>(json, Json) ?? throw new InvalidDataException($"{source}: empty configuration");

    /// <summary>The part of the configuration that decides results (device and threads excluded; the data's content
    /// fingerprint too, which is checked separately so that run ids do not depend on it).</summary>
    public string Identity() => JsonSerializer.Serialize(this with { Device = "", Threads = null, DataContent = null }, Json);

    /// <summary>The default run id: <c>quick-</c> or <c>full-</c> and 10 hex digits of the SHA-256 of <see cref="Identity"/>.</summary>
    public string DefaultRunId()
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(Identity()));
        return (Quick ? "quick-" : "full-") + Convert.ToHexString(hash, 0, 5).ToLowerInvariant();
    }
}
