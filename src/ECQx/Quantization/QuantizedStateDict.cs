using System.Globalization;
using ECQx.IO;
using TorchSharp;

namespace ECQx.Quantization;

/// <summary>
/// The quantized-model file and the one home of its metadata format: a safetensors state_dict whose metadata carries, for
/// every quantized tensor, its step size and bit width under <c>ecqx.step.&lt;name&gt;</c> and <c>ecqx.bits.&lt;name&gt;</c>
/// (decimal strings; the step round-trippable, "R" format). The trainer, <c>ecqx quantize</c> and the XAI-compression verbs
/// write it (through <see cref="QuantizedModel.Save"/>); <see cref="QuantizedModel.Load"/> reads it back, and
/// <c>ecqx compress</c> reads exactly these keys.
/// </summary>
public static class QuantizedStateDict
{
    /// <summary>Metadata key prefix of a quantized tensor's step size.</summary>
    public const string StepKeyPrefix = "ecqx.step.";

    /// <summary>Metadata key prefix of a quantized tensor's bit width.</summary>
    public const string BitsKeyPrefix = "ecqx.bits.";

    /// <summary>Metadata key of a tensor's step size.</summary>
    public static string StepKey(string tensorName) => StepKeyPrefix + tensorName;

    /// <summary>Metadata key of a tensor's bit width.</summary>
    public static string BitsKey(string tensorName) => BitsKeyPrefix + tensorName;

    /// <summary>Whether <paramref name="key"/> is one of this format's keys (a step or a bit width).</summary>
    public static bool IsGridKey(string key) =>
        key.StartsWith(StepKeyPrefix, StringComparison.Ordinal) || key.StartsWith(BitsKeyPrefix, StringComparison.Ordinal);

    /// <summary>Sets the step and bit-width entries of tensor <paramref name="tensorName"/> in <paramref name="metadata"/>.</summary>
    public static void SetGrid(IDictionary<string, string> metadata, string tensorName, double step, int bits)
    {
        metadata[StepKey(tensorName)] = step.ToString("R", CultureInfo.InvariantCulture);
        metadata[BitsKey(tensorName)] = bits.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The metadata entries for <paramref name="codebooks"/>.</summary>
    public static Dictionary<string, string> Metadata(IReadOnlyDictionary<string, Codebook> codebooks)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, cb) in codebooks) SetGrid(meta, name, cb.Step, cb.Bits);
        return meta;
    }

    /// <summary>Writes the state dict and the step/bit metadata atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> stateDict,
        IReadOnlyDictionary<string, Codebook> codebooks, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var meta = Metadata(codebooks);
        if (extraMetadata is not null) foreach (var (k, v) in extraMetadata) meta.TryAdd(k, v);
        SafeTensors.Save(path, stateDict, meta);
    }

    /// <summary>Reads a tensor's step size and bit width from the metadata; null when absent.</summary>
    public static (double StepSize, int Bits)? Read(IReadOnlyDictionary<string, string> metadata, string tensorName)
    {
        if (!metadata.TryGetValue(StepKey(tensorName), out var s) || !metadata.TryGetValue(BitsKey(tensorName), out var b)) return null;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double step) ||
            !int.TryParse(b, NumberStyles.Integer, CultureInfo.InvariantCulture, out int bits))
            throw new InvalidDataException($"metadata of '{tensorName}' is not numeric (step '{s}', bits '{b}')");
        return (step, bits);
    }

    /// <summary>
    /// Every declared grid of the metadata: tensor name → (finite positive step, bit width in 1..32). A key naming a tensor
    /// outside <paramref name="tensorNames"/>, a malformed value, or a step without its bit width (or the reverse) is an
    /// <see cref="InvalidDataException"/> naming the key and value.
    /// </summary>
    public static Dictionary<string, (double Step, int Bits)> ReadGrids(IReadOnlyDictionary<string, string> metadata, IReadOnlySet<string> tensorNames)
    {
        var grids = new Dictionary<string, (double Step, int Bits)>(StringComparer.Ordinal);
        foreach (var (key, text) in metadata)
        {
            if (!key.StartsWith(StepKeyPrefix, StringComparison.Ordinal)) continue;
            string name = key[StepKeyPrefix.Length..];
            if (!tensorNames.Contains(name))
                throw new InvalidDataException($"metadata '{key}' names tensor '{name}', which is not in the file.");
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double step) || !double.IsFinite(step) || step <= 0)
                throw new InvalidDataException($"metadata '{key}' = '{text}' is not a finite positive step size.");
            string bitsKey = BitsKey(name);
            if (!metadata.TryGetValue(bitsKey, out string? bitsText))
                throw new InvalidDataException($"metadata has '{key}' but no '{bitsKey}' for tensor '{name}'.");
            if (!int.TryParse(bitsText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int bits) || bits is < 1 or > 32)
                throw new InvalidDataException($"metadata '{bitsKey}' = '{bitsText}' is not a bit width in 1..32.");
            grids[name] = (step, bits);
        }
        foreach (var key in metadata.Keys)
        {
            if (key.StartsWith(BitsKeyPrefix, StringComparison.Ordinal) && !grids.ContainsKey(key[BitsKeyPrefix.Length..]))
                throw new InvalidDataException($"metadata has '{key}' but no '{StepKeyPrefix}{key[BitsKeyPrefix.Length..]}'.");
        }
        return grids;
    }
}
