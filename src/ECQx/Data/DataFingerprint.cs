using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace ECQx.Data;

/// <summary>
/// A SHA-256 fingerprint of a dataset's content, built from its tensors (dtype, shape and bytes) and text (for example
/// file lists), for <see cref="DatasetSplits.Fingerprint"/>: two loads of the same data give the same fingerprint, a
/// changed example, label or file gives another. Loaders hash what they hold in memory (images, labels, features) or,
/// where the data stays on disk, what identifies it (relative paths, sizes, labels).
/// </summary>
public sealed class DataFingerprint : IDisposable
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Adds <paramref name="tensor"/> under <paramref name="label"/>: its dtype, shape and element bytes (read on the CPU).</summary>
    public DataFingerprint Add(string label, torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Add($"{label}:{tensor.dtype}:[{string.Join(",", tensor.shape)}]");
        using var scope = torch.NewDisposeScope();
        var cpu = tensor.detach().cpu().contiguous();
        if (cpu.numel() > 0) _sha.AppendData(cpu.bytes);
        return this;
    }

    /// <summary>Adds a line of text (length-prefixed, so that concatenations cannot collide).</summary>
    public DataFingerprint Add(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        _sha.AppendData(BitConverter.GetBytes(bytes.Length));
        _sha.AppendData(bytes);
        return this;
    }

    /// <summary>The fingerprint so far, as <c>sha256:</c> and 16 hex digits (64 bits: plenty to tell datasets apart).</summary>
    public string Finish() => "sha256:" + Convert.ToHexStringLower(_sha.GetCurrentHash(), 0, 8);

    /// <summary>The fingerprint of the labelled tensors, in the order given.</summary>
    public static string Of(params (string Label, torch.Tensor Tensor)[] tensors)
    {
        using var f = new DataFingerprint();
        foreach (var (label, t) in tensors) f.Add(label, t);
        return f.Finish();
    }

    /// <summary>Formats an integer for identity entries.</summary>
    internal static string Text(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose() => _sha.Dispose();
}
