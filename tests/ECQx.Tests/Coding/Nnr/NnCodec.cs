using System.Text.Json;
using System.Text.Json.Nodes;
using ECQx.Coding.Nnr;
using Xunit;

namespace ECQx.Tests.Coding.Nnr;

/// <summary>One tensor as NNCodec returned or is to be given it: values as int64 (float32 as their bit patterns).</summary>
internal sealed record NnCodecTensor(string DType, long[] Shape, long[] Values);

/// <summary>
/// The vendored NNCodec, built by <c>.ci/install-prereqs</c> into <c>$ECQX_NNCODEC_DIR</c> (default
/// <c>~/.cache/ecqx-nncodec</c>), driven through the library's <see cref="NnCodecInstallation"/> (its embedded driver) with
/// Debian's <c>/usr/bin/python3</c>.
/// </summary>
internal static class NnCodec
{
    private static readonly Lazy<string?> Missing = new(() => NnCodecInstallation.WhyMissing());
    private static readonly Lazy<NnCodecInstallation> Installation = new(() => NnCodecInstallation.Open());

    /// <summary>Why the interop tests cannot run here, or null.</summary>
    internal static string? MissingReason => Missing.Value;

    /// <summary>Whether this is a CI run (there a missing NNCodec is a failure).</summary>
    internal static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The opened installation (after <see cref="Require"/>).</summary>
    internal static NnCodecInstallation Opened
    {
        get { Require(); return Installation.Value; }
    }

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
        var args = new List<string> { "decode" };
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
        var args = new List<string> { "encode" };
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
        var result = Opened.RunDriver(workDir, [.. args]);
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
