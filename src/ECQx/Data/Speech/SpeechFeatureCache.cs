using System.Security.Cryptography;
using System.Text;
using ECQx.IO;
using TorchSharp;

namespace ECQx.Data.Speech;

/// <summary>
/// On-disk cache of precomputed features: one safetensors file per (split, key) holding <c>features</c> and
/// <c>labels</c>, where the key is the SHA-256 of a canonical description of everything the features depend on
/// (format version, MFCC and clip parameters, seed, and every input file's relative path, size and modification
/// time). Writes are atomic; an unreadable or mismatching cache file is ignored and rewritten.
/// </summary>
public static class SpeechFeatureCache
{
    /// <summary>Version of the cached content; bump when the feature pipeline changes.</summary>
    public const string FormatVersion = "ecqx-gsc-features-v1";

    /// <summary>SHA-256 (hex) of <paramref name="description"/>.</summary>
    public static string Key(string description) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(description)));

    /// <summary>The cache file for <paramref name="split"/> and <paramref name="key"/>.</summary>
    public static string PathFor(string directory, string split, string key) =>
        Path.Combine(directory, $"gsc-{split}-{key[..16]}.safetensors");

    /// <summary>Loads cached features when the file exists and carries the same key; otherwise null.</summary>
    public static (torch.Tensor features, torch.Tensor labels)? TryLoad(string path, string key)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = SafeTensors.Load(path);
            if (!doc.Metadata.TryGetValue("key", out var k) || k != key) return null;
            if (!doc.Tensors.TryGetValue("features", out var f) || !doc.Tensors.TryGetValue("labels", out var l)) return null;
            if (f.dim() != 3 || l.dim() != 1 || f.shape[0] != l.shape[0] || f.dtype != torch.float32 || l.dtype != torch.int64) return null;
            return (f.clone(), l.clone());
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Writes features and labels with the key in the metadata (atomic).</summary>
    public static void Save(string path, string key, torch.Tensor features, torch.Tensor labels)
    {
        SafeTensors.Save(path,
            new[] { KeyValuePair.Create("features", features), KeyValuePair.Create("labels", labels) },
            new Dictionary<string, string> { ["key"] = key, ["format"] = FormatVersion });
    }
}
