using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// A Jupyter connection file: the transport, address and five ports the kernel binds, and the key and
/// scheme that sign every message. Only <c>tcp</c> and <c>hmac-sha256</c> are accepted (an empty key
/// turns signing off, as the protocol allows).
/// </summary>
/// <param name="Transport">Always <c>tcp</c>.</param>
/// <param name="Ip">The address to bind (e.g. <c>127.0.0.1</c>).</param>
/// <param name="ShellPort">Shell (ROUTER).</param>
/// <param name="IopubPort">IOPub (PUB).</param>
/// <param name="StdinPort">Stdin (ROUTER).</param>
/// <param name="ControlPort">Control (ROUTER).</param>
/// <param name="HeartbeatPort">Heartbeat (REP).</param>
/// <param name="Key">The HMAC key (UTF-8 bytes of the file's <c>key</c>).</param>
/// <param name="SignatureScheme">Always <c>hmac-sha256</c>.</param>
public sealed record ConnectionInfo(
    string Transport, string Ip, int ShellPort, int IopubPort, int StdinPort, int ControlPort, int HeartbeatPort,
    string Key, string SignatureScheme)
{
    /// <summary>The ZeroMQ endpoint of <paramref name="port"/>, e.g. <c>tcp://127.0.0.1:5555</c>.</summary>
    public string Endpoint(int port) => $"{Transport}://{Ip}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Reads and checks a connection file. Throws <see cref="InvalidDataException"/> naming the file and
    /// the field for a missing or bad field, and <see cref="FileNotFoundException"/> when it does not exist.
    /// </summary>
    public static ConnectionInfo Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Connection file '{path}' does not exist.", path);
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new InvalidDataException($"Connection file '{path}' is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Connection file '{path}' is not valid JSON: {e.Message}");
        }
        string Text(string field, string? fallback = null)
        {
            if (json[field] is null && fallback is not null) return fallback;
            return json[field] is JsonValue v && v.TryGetValue(out string? s) ? s
                : throw new InvalidDataException($"Connection file '{path}': field '{field}' must be a string (found {json[field]?.ToJsonString() ?? "nothing"}).");
        }
        int Port(string field) =>
            json[field] is JsonValue v && v.TryGetValue(out int p) && p is > 0 and < 65536 ? p
                : throw new InvalidDataException($"Connection file '{path}': field '{field}' must be a port number 1–65535 (found {json[field]?.ToJsonString() ?? "nothing"}).");

        string transport = Text("transport", "tcp");
        if (transport != "tcp")
            throw new InvalidDataException($"Connection file '{path}': transport '{transport}' is not supported; the C# (ECQx) kernel binds tcp only.");
        string scheme = Text("signature_scheme", "hmac-sha256");
        if (scheme != "hmac-sha256")
            throw new InvalidDataException($"Connection file '{path}': signature_scheme '{scheme}' is not supported; use hmac-sha256.");
        string ip = Text("ip", "127.0.0.1");
        if (ip.Length == 0 || ip.Any(char.IsWhiteSpace))
            throw new InvalidDataException($"Connection file '{path}': field 'ip' is not an address ('{ip}').");
        return new ConnectionInfo(transport, ip, Port("shell_port"), Port("iopub_port"), Port("stdin_port"),
            Port("control_port"), Port("hb_port"), Text("key", ""), scheme);
    }
}
