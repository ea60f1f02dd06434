using ECQx.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// Loads a PyTorch <c>state_dict</c> (parameters and buffers by dotted name) into a TorchSharp module.
/// Everything is checked before anything is copied, so a failed load leaves the model unchanged: missing and
/// unexpected keys, shape mismatches (naming the key and both shapes), incompatible dtypes, and non-finite
/// floating values are errors. A missing <c>…num_batches_tracked</c> buffer is accepted (older PyTorch
/// checkpoints such as the pretrained ResNet-20 do not store it; PyTorch itself accepts that) and is left as is.
/// A source whose every key starts with <c>module.</c> (saved from <c>DataParallel</c>) has that prefix removed.
/// </summary>
public static class StateDictLoader
{
    /// <summary>Loads a safetensors state dict from <paramref name="path"/> into <paramref name="model"/>.</summary>
    public static void LoadSafeTensors(nn.Module model, string path, bool strict = true)
    {
        using var doc = SafeTensors.Load(path);
        Load(model, doc.Tensors, path, strict);
    }

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="model"/>'s parameters and buffers.
    /// <paramref name="sourceName"/> names the source in error messages. With <paramref name="strict"/> = false,
    /// missing and unexpected keys are tolerated (shapes and values are still checked).
    /// </summary>
    public static void Load(nn.Module model, IReadOnlyDictionary<string, Tensor> source, string sourceName = "state dict", bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        var src = StripDataParallelPrefix(source);
        var target = Targets(model);

        var missing = target.Keys.Where(k => !src.ContainsKey(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        var unexpected = src.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing key(s) {List(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected key(s) {List(unexpected)}");
            throw new InvalidDataException($"{sourceName}: state dict does not match {model.GetName()}: {string.Join("; ", parts)}.");
        }

        foreach (var (key, dst) in target)
        {
            if (!src.TryGetValue(key, out var s)) continue;
            if (!s.shape.SequenceEqual(dst.shape))
                throw new InvalidDataException($"{sourceName}: shape mismatch for '{key}': file has [{string.Join(", ", s.shape)}], model expects [{string.Join(", ", dst.shape)}].");
            bool srcFloat = s.is_floating_point(), dstFloat = dst.is_floating_point();
            if (srcFloat != dstFloat)
                throw new InvalidDataException($"{sourceName}: dtype mismatch for '{key}': file has {s.dtype}, model expects {dst.dtype}.");
            if (srcFloat)
            {
                using var finite = s.isfinite().all();
                if (!finite.item<bool>())
                    throw new InvalidDataException($"{sourceName}: tensor '{key}' contains NaN or infinite values.");
            }
        }

        using var _ = no_grad();
        foreach (var (key, dst) in target)
            if (src.TryGetValue(key, out var s)) dst.copy_(s);
    }

    /// <summary>The model's parameters and buffers by state-dict name.</summary>
    public static Dictionary<string, Tensor> Targets(nn.Module model)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in model.named_parameters()) d[name] = p;
        foreach (var (name, b) in model.named_buffers()) d[name] = b;
        return d;
    }

    private static IReadOnlyDictionary<string, Tensor> StripDataParallelPrefix(IReadOnlyDictionary<string, Tensor> source)
    {
        const string prefix = "module.";
        if (source.Count == 0 || !source.Keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal))) return source;
        return source.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
    }

    private static string List(IReadOnlyList<string> keys) =>
        string.Join(", ", keys.Take(8).Select(k => $"'{k}'")) + (keys.Count > 8 ? $" and {keys.Count - 8} more" : "");
}
