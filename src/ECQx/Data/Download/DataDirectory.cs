namespace ECQx.Data.Download;

/// <summary>
/// Where downloaded archives, extracted datasets and feature caches live. Precedence: an explicit directory
/// (the <c>--data-dir</c> option), then the <c>ECQX_DATA_DIR</c> environment variable, then
/// <c>&lt;local application data&gt;/ecqx/data</c> (on Linux <c>~/.local/share/ecqx/data</c>).
/// </summary>
/// <remarks>
/// Layout under the root: <c>downloads/&lt;archive&gt;</c> (+ <c>.part</c> while downloading, <c>.sha256</c> pin,
/// <c>.corrupt</c> for a rejected file), <c>&lt;dataset name&gt;/</c> (extracted, with a completion marker),
/// <c>features/</c> (cached MFCCs).
/// </remarks>
public static class DataDirectory
{
    /// <summary>The environment variable that sets the data directory.</summary>
    public const string EnvironmentVariable = "ECQX_DATA_DIR";

    /// <summary>Resolves the data directory root (not created).</summary>
    public static string Resolve(string? explicitDirectory = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory)) return Path.GetFullPath(explicitDirectory);
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        string baseDir = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(baseDir)) baseDir = Path.Combine(Path.GetTempPath(), "ecqx-user");
        return Path.Combine(baseDir, "ecqx", "data");
    }
}
