using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// The integrity check of a training checkpoint: a SHA-256 over the checkpoint's state JSON and every tensor (name,
/// dtype, shape and bytes, in ordinal name order), stored in the safetensors metadata under <see cref="MetadataKey"/>.
/// A checkpoint whose digest is missing or differs (one flipped bit in a saved tensor or in the state) is refused
/// with an <see cref="InvalidDataException"/>, because resuming from it would silently change the final weights.
/// </summary>
public static class CheckpointIntegrity
{
    /// <summary>The metadata key of the digest (lower-case hex).</summary>
    public const string MetadataKey = "ecqx.checkpoint-sha256";

    /// <summary>The digest of <paramref name="stateJson"/> and <paramref name="tensors"/> (lower-case hex SHA-256).</summary>
    public static string Digest(string stateJson, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(stateJson);
        ArgumentNullException.ThrowIfNull(tensors);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Field(sha, "state");
        Field(sha, stateJson);
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Field(sha, name);
            Field(sha, tensor.dtype.ToString());
            Field(sha, string.Join(",", tensor.shape));
            using var cpu = tensor.detach().cpu().contiguous();
            if (cpu.numel() > 0) sha.AppendData(cpu.bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Throws an <see cref="InvalidDataException"/> naming <paramref name="path"/> unless <paramref name="metadata"/>
    /// carries the digest of <paramref name="stateJson"/> and <paramref name="tensors"/>.</summary>
    public static void Verify(string path, IReadOnlyDictionary<string, string> metadata, string stateJson,
        IEnumerable<KeyValuePair<string, torch.Tensor>> tensors)
    {
        if (!metadata.TryGetValue(MetadataKey, out var recorded))
            throw new InvalidDataException($"{path}: checkpoint has no integrity digest ('{MetadataKey}'); it was not written by this version or was altered");
        string actual = Digest(stateJson, tensors);
        if (!string.Equals(recorded, actual, StringComparison.Ordinal))
            throw new InvalidDataException(
                $"{path}: checkpoint is damaged: its SHA-256 is {actual}, but {recorded} was recorded when it was written; delete it (and resume from scratch) or restore a good copy");
    }

    private static void Field(IncrementalHash sha, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        sha.AppendData(length);
        sha.AppendData(bytes);
    }
}
