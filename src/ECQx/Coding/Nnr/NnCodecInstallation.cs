using System.Text.Json;
using System.Text.Json.Nodes;
using ECQx.IO;

namespace ECQx.Coding.Nnr;

/// <summary>
/// NNCodec's own sizes of one quantized model, coded as the ECQx reference implementation codes it (spec §d.3–d.4): the
/// integer levels in one NNR bitstream (<c>nnc.compress</c>, int32, no further quantization, <c>use_dq=False</c>), every
/// other non-scalar tensor in a second one (float32, <c>qp = −40</c>, <c>nonweight_qp = −75</c>, dependent quantization),
/// and 4 bytes per quantized tensor for its step size.
/// </summary>
/// <param name="LevelBytes">NNCodec's bitstream of the levels (quantized tensors and other integer tensors of rank ≥ 1).</param>
/// <param name="FloatBytes">NNCodec's bitstream of the float tensors of rank ≥ 1 (0 when there are none).</param>
/// <param name="QuantizedTensors">Number of quantized tensors (one float32 step size each).</param>
public sealed record NnCodecSizes(long LevelBytes, long FloatBytes, int QuantizedTensors)
{
    /// <summary>The reference's model size in bytes: both bitstreams plus 4 bytes per step size (the paper's ×-factors divide FP32 bytes by this).</summary>
    public long PaperBytes => LevelBytes + FloatBytes + 4L * QuantizedTensors;
}

/// <summary>
/// NNCodec (the MPEG NNR reference software, Clear BSD; not part of this package), built outside it — e.g. by
/// <c>.ci/install-prereqs</c> from <c>shared/vendor/nncodec</c> with its <c>build.sh</c> — and run by a driver script
/// embedded in this assembly with a Python 3 that has NumPy. Used to put NNCodec's own sizes beside ecqx's
/// (<see cref="Measure"/>) and by the interop tests (<see cref="RunDriver"/>).
/// </summary>
public sealed class NnCodecInstallation
{
    /// <summary>Environment variable naming the folder NNCodec was built in.</summary>
    public const string FolderVariable = "ECQX_NNCODEC_DIR";

    /// <summary>The Python used by default (Debian's, which <c>build.sh</c> builds the extension for).</summary>
    public const string DefaultPython = "/usr/bin/python3";

    /// <summary>How long one driver run may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    private NnCodecInstallation(string folder, string python) => (Folder, Python) = (folder, python);

    /// <summary>The build folder: it holds the <c>nncodec</c> package with its <c>deepCABAC*.so</c> extension.</summary>
    public string Folder { get; }

    /// <summary>The Python executable.</summary>
    public string Python { get; }

    /// <summary><c>$ECQX_NNCODEC_DIR</c>, else <c>~/.cache/ecqx-nncodec</c> (where <c>.ci/install-prereqs</c> builds it).</summary>
    public static string DefaultFolder =>
        Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } dir ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ecqx-nncodec");

    /// <summary>Why NNCodec cannot run from <paramref name="folder"/> with <paramref name="python"/>, or null when it can (imports are probed).</summary>
    public static string? WhyMissing(string? folder = null, string python = DefaultPython)
    {
        folder ??= DefaultFolder;
        if (!File.Exists(python)) return $"{python} is not installed; NNCodec needs Python 3 with NumPy (Debian: python3, python3-numpy)";
        string package = Path.Combine(folder, "nncodec");
        if (!Directory.Exists(package) || !Directory.EnumerateFiles(package, "deepCABAC*.so", SearchOption.TopDirectoryOnly).Any())
            return $"NNCodec's DeepCABAC extension is not built in {package} (build shared/vendor/nncodec with its build.sh into {folder}, " +
                "as .ci/install-prereqs does; it needs python3-pybind11, python3-dev, python3-numpy and g++)";
        var probe = ExternalProcess.Run(python, ["-c", "import numpy; import deepCABAC; from nncodec import nnc"], TimeSpan.FromSeconds(60), folder, DriverEnvironment(folder));
        return probe.ExitCode == 0 ? null : $"NNCodec in {folder} does not import with {python}: {probe.StdErr.Trim()}";
    }

    /// <summary>Opens NNCodec in <paramref name="folder"/> (null: <see cref="DefaultFolder"/>); throws <see cref="InvalidOperationException"/> saying what is missing.</summary>
    public static NnCodecInstallation Open(string? folder = null, string python = DefaultPython)
    {
        folder = Path.GetFullPath(folder ?? DefaultFolder);
        if (WhyMissing(folder, python) is string reason) throw new InvalidOperationException(reason);
        return new NnCodecInstallation(folder, python);
    }

    /// <summary>The driver script, written from this assembly's resource into a per-content cache file on first use.</summary>
    public static string DriverPath => Driver.Value;

    private static readonly Lazy<string> Driver = new(WriteDriver);

    /// <summary>Runs the driver (<c>decode</c>, <c>encode</c> or <c>size</c>, see its docstring) in <paramref name="workDir"/>.</summary>
    public ExternalProcessResult RunDriver(string workDir, params string[] args) =>
        ExternalProcess.Run(Python, [DriverPath, .. args], Timeout, workDir, DriverEnvironment(Folder));

    /// <summary>
    /// NNCodec's sizes of <paramref name="model"/>, coded as the reference codes it (see <see cref="NnCodecSizes"/>).
    /// Quantized tensors give their levels; integer tensors of rank ≥ 1 are levels too; float tensors of rank ≥ 1 are
    /// floats; scalars are left out (as the reference leaves them out). Works in a fresh folder under
    /// <paramref name="workDir"/> (null: the temp folder), deleted afterwards.
    /// </summary>
    public NnCodecSizes Measure(EcqxModel model, string? workDir = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        string dir = Path.Combine(workDir ?? Path.GetTempPath(), "ecqx-nncodec-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            var levels = new JsonArray();
            var floats = new JsonArray();
            int quantized = 0;
            using (var data = File.Create(Path.Combine(dir, "values.bin")))
            {
                foreach (var tensor in model.Tensors.Where(t => t.Shape.Count >= 1 && t.ElementCount > 0))
                {
                    var entry = new JsonObject
                    {
                        ["name"] = tensor.Name,
                        ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode)d).ToArray()),
                        ["offset"] = data.Position,
                    };
                    switch (tensor)
                    {
                        case QuantizedTensor q:
                            quantized++;
                            data.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(q.Levels.Span));
                            levels.Add(entry);
                            break;
                        case RawTensor r when r.DType.IsFloatingPoint():
                            data.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(RawValues.ToFloat32(r).AsSpan()));
                            floats.Add(entry);
                            break;
                        case RawTensor r:
                            data.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(RawValues.ToInt32(r).AsSpan()));
                            levels.Add(entry);
                            break;
                    }
                }
            }
            var manifest = new JsonObject { ["data"] = "values.bin", ["levels"] = levels, ["floats"] = floats };
            File.WriteAllText(Path.Combine(dir, "manifest.json"), manifest.ToJsonString());
            var result = RunDriver(dir, "size", "manifest.json", "sizes.json");
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"NNCodec ({Folder}) failed to code the model: exit {result.ExitCode}: {result.StdErr.Trim()}");
            using var sizes = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "sizes.json")));
            return new NnCodecSizes(sizes.RootElement.GetProperty("level_bytes").GetInt64(), sizes.RootElement.GetProperty("float_bytes").GetInt64(), quantized);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static Dictionary<string, string> DriverEnvironment(string folder) =>
        new() { ["NNCODEC_DIR"] = folder, ["PYTHONPATH"] = Path.Combine(folder, "nncodec") };

    private static string WriteDriver()
    {
        using var stream = typeof(NnCodecInstallation).Assembly.GetManifestResourceStream(DriverResource)
            ?? throw new InvalidOperationException($"resource {DriverResource} is missing from ECQx.dll");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        byte[] bytes = memory.ToArray();
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..16].ToLowerInvariant();
        string path = Path.Combine(Path.GetTempPath(), $"ecqx-nncodec-driver-{hash}.py");
        if (!File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes)) AtomicFile.WriteAllBytes(path, bytes);
        return path;
    }

    private const string DriverResource = "ECQx.Coding.Nnr.nncodec_driver.py";
}
