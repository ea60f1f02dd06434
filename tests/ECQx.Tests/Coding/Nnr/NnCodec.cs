using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace ECQx.Tests.Coding.Nnr;

/// <summary>One tensor as NNCodec returned or is to be given it: values as int64 (float32 as their bit patterns).</summary>
internal sealed record NnCodecTensor(string DType, long[] Shape, long[] Values);

/// <summary>
/// The vendored NNCodec, built by <c>.ci/install-prereqs</c> into <c>$ECQX_NNCODEC_DIR</c> (default
/// <c>~/.cache/ecqx-nncodec</c>), driven through <c>nncodec_driver.py</c> with Debian's <c>/usr/bin/python3</c>.
/// </summary>
internal static class NnCodec
{
    private const string Python = "/usr/bin/python3";

    /// <summary>The folder NNCodec is built in.</summary>
    internal static string Folder =>
        Environment.GetEnvironmentVariable("ECQX_NNCODEC_DIR") is { Length: > 0 } dir ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ecqx-nncodec");

    private static string Driver => Path.Combine(AppContext.BaseDirectory, "Coding", "Nnr", "nncodec_driver.py");

    private static readonly Lazy<string?> Missing = new(FindMissing);

    /// <summary>Why the interop tests cannot run here, or null.</summary>
    internal static string? MissingReason => Missing.Value;

    /// <summary>Whether this is a CI run (there a missing NNCodec is a failure).</summary>
    internal static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string? FindMissing()
    {
        if (!File.Exists(Python)) return $"{Python} is not installed; the NNCodec interop tests need Debian's python3 with python3-numpy";
        string package = Path.Combine(Folder, "nncodec");
        if (!Directory.Exists(package) || !Directory.EnumerateFiles(package, "deepCABAC*.so", SearchOption.TopDirectoryOnly).Any())
            return $"NNCodec's DeepCABAC extension is not built in {package} (run .ci/install-prereqs: it builds ../shared/vendor/nncodec there; " +
                "it needs python3-pybind11, python3-dev, python3-numpy and g++)";
        var probe = ChildProcess.Run(Python, Folder, TimeSpan.FromSeconds(60), DriverEnvironment(), "-c", "import numpy; import deepCABAC");
        return probe.ExitCode == 0 ? null : $"NNCodec in {Folder} does not import with {Python}:\n{probe.Transcript}";
    }

    private static Dictionary<string, string> DriverEnvironment() => new() { ["NNCODEC_DIR"] = Folder, ["PYTHONPATH"] = Path.Combine(Folder, "nncodec") };

    /// <summary>Fails (in CI) or throws a skip-worthy failure message when NNCodec is missing.</summary>
    internal static void Require()
    {
        if (MissingReason is string reason)
            Assert.Fail(reason + (IsCi ? "\nCI=true: the NNR interop tests must run in CI, so a missing NNCodec is a failure." : ""));
    }

    /// <summary><c>nnc.decompress</c> of each bitstream: its tensors in order.</summary>
    internal static List<Dictionary<string, NnCodecTensor>> Decode(string workDir, params string[] bitstreams)
    {
        Require();
        var args = new List<string> { Driver, "decode" };
        var outputs = bitstreams.Select((b, i) => Path.Combine(workDir, $"decoded-{i}.json")).ToList();
        for (int i = 0; i < bitstreams.Length; i++) args.AddRange([bitstreams[i], outputs[i]]);
        Run(workDir, args);
        return outputs.Select(Load).ToList();
    }

    /// <summary><c>nnc.compress(..., use_dq=False)</c> of integer tensors; returns the bitstream paths.</summary>
    internal static List<string> Encode(string workDir, params IReadOnlyList<(string Name, long[] Shape, int[] Values)>[] models) =>
        Encode(workDir, models.Select(m => m.Select(t => (t.Name, t.Shape, (Array)t.Values)).ToList()).ToArray());

    /// <summary><c>nnc.compress(..., use_dq=False)</c> of int32 or float32 tensors; returns the bitstream paths.</summary>
    internal static List<string> Encode(string workDir, params List<(string Name, long[] Shape, Array Values)>[] models)
    {
        Require();
        var args = new List<string> { Driver, "encode" };
        var outputs = new List<string>();
        for (int i = 0; i < models.Length; i++)
        {
            var spec = new JsonObject();
            foreach (var (name, shape, values) in models[i])
                spec[name] = new JsonObject
                {
                    ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
                    ["values"] = values is float[] floats ? new JsonArray(floats.Select(v => (JsonNode)v).ToArray())
                        : new JsonArray(((int[])values).Select(v => (JsonNode)v).ToArray()),
                    ["float"] = values is float[],
                };
            string input = Path.Combine(workDir, $"levels-{i}.json");
            File.WriteAllText(input, spec.ToJsonString());
            outputs.Add(Path.Combine(workDir, $"nncodec-{i}.nnr"));
            args.AddRange([input, outputs[^1]]);
        }
        Run(workDir, args);
        return outputs;
    }

    private static void Run(string workDir, List<string> args)
    {
        var result = ChildProcess.Run(Python, workDir, TimeSpan.FromMinutes(5), DriverEnvironment(), [.. args]);
        Assert.True(result.ExitCode == 0, result.Transcript);
    }

    private static Dictionary<string, NnCodecTensor> Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var tensors = new Dictionary<string, NnCodecTensor>(StringComparer.Ordinal);
        foreach (var t in doc.RootElement.EnumerateObject())
            tensors[t.Name] = new NnCodecTensor(t.Value.GetProperty("dtype").GetString()!,
                t.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                t.Value.GetProperty("values").EnumerateArray().Select(v => v.GetInt64()).ToArray());
        return tensors;
    }
}

/// <summary>A fact that needs NNCodec (<see cref="NnCodec"/>): skipped with the reason outside CI when it is missing; in CI (CI=true) it runs and fails.</summary>
public sealed class NnCodecFactAttribute : FactAttribute
{
    public NnCodecFactAttribute()
    {
        if (!NnCodec.IsCi && NnCodec.MissingReason is string reason) Skip = reason + " — the NNCodec interop test is skipped.";
    }
}
