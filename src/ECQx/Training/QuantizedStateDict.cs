using System.Globalization;
using ECQx.IO;
using ECQx.Quantization;
using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// The quantized-model file: a safetensors state_dict whose metadata carries, for every quantized tensor,
/// its step size and bit width under <c>ecqx.step.&lt;name&gt;</c> and <c>ecqx.bits.&lt;name&gt;</c> (decimal
/// strings, round-trippable "R" format). <c>ecqx compress</c> reads exactly these keys.
/// </summary>
public static class QuantizedStateDict
{
    /// <summary>Metadata key of a tensor's step size.</summary>
    public static string StepKey(string tensorName) => "ecqx.step." + tensorName;

    /// <summary>Metadata key of a tensor's bit width.</summary>
    public static string BitsKey(string tensorName) => "ecqx.bits." + tensorName;

    /// <summary>The metadata entries for <paramref name="codebooks"/>.</summary>
    public static Dictionary<string, string> Metadata(IReadOnlyDictionary<string, Codebook> codebooks)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, cb) in codebooks)
        {
            meta[StepKey(name)] = cb.Step.ToString("R", CultureInfo.InvariantCulture);
            meta[BitsKey(name)] = cb.Bits.ToString(CultureInfo.InvariantCulture);
        }
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
}
