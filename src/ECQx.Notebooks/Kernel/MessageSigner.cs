using System.Security.Cryptography;
using System.Text;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// HMAC-SHA256 signatures of Jupyter messages: the lowercase hex digest of header, parent header,
/// metadata and content (in that order). Verification compares in constant time. With an empty key the
/// protocol has no authentication: signatures are empty and every message is accepted.
/// </summary>
public sealed class MessageSigner
{
    private readonly byte[] _key;

    /// <summary>A signer with <paramref name="key"/> (the connection file's <c>key</c>, as UTF-8).</summary>
    public MessageSigner(string key) => _key = Encoding.UTF8.GetBytes(key ?? "");

    /// <summary>True when messages are signed (the key is not empty).</summary>
    public bool Enabled => _key.Length > 0;

    /// <summary>The hex signature of the four message parts (empty when signing is off).</summary>
    public string Sign(IReadOnlyList<byte[]> parts)
    {
        if (!Enabled) return "";
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        foreach (byte[] part in parts) hmac.AppendData(part);
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    /// <summary>True when <paramref name="signature"/> is the signature of the parts (always, when signing is off).</summary>
    public bool Verify(string signature, IReadOnlyList<byte[]> parts)
    {
        if (!Enabled) return true;
        byte[] expected = Encoding.ASCII.GetBytes(Sign(parts));
        byte[] given = Encoding.ASCII.GetBytes(signature.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
