using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ECQx.Data.Download;

/// <summary>Where an archive comes from and how to recognise it.</summary>
public sealed record ArchiveInfo
{
    /// <summary>Official download URL.</summary>
    public required string Url { get; init; }

    /// <summary>File name in the cache's <c>downloads/</c> folder.</summary>
    public required string FileName { get; init; }

    /// <summary>Known SHA-256 (lower-case hex), or null when none is known for certain (then trust-on-first-download applies).</summary>
    public string? Sha256 { get; init; }

    /// <summary>Published MD5 (lower-case hex), or null.</summary>
    public string? Md5 { get; init; }

    /// <summary>Where the MD5 was published.</summary>
    public string? Md5Source { get; init; }
}

/// <summary>One dataset of the manifest.</summary>
public sealed record DatasetEntry
{
    /// <summary>Short name used on the command line, e.g. <c>cifar10</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Human-readable title.</summary>
    public required string Title { get; init; }

    /// <summary>Homepage or paper.</summary>
    public string? Homepage { get; init; }

    /// <summary>Licence or terms of use.</summary>
    public string? License { get; init; }

    /// <summary>The archive to download.</summary>
    public required ArchiveInfo Archive { get; init; }

    /// <summary>Folder inside the extracted archive that loaders should be given ("" for the root).</summary>
    public string DataSubdirectory { get; init; } = "";

    /// <summary>Paths (relative to the extraction root; a trailing '/' means a directory) that must exist
    /// after extraction for the dataset to count as complete.</summary>
    public IReadOnlyList<string> RequiredPaths { get; init; } = Array.Empty<string>();
}

/// <summary>
/// The list of downloadable datasets (<c>data/datasets.json</c> in the repository, embedded into the library).
/// </summary>
public sealed record DatasetManifest
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Free-text description of the manifest.</summary>
    public string? About { get; init; }

    /// <summary>The datasets.</summary>
    public IReadOnlyList<DatasetEntry> Datasets { get; init; } = Array.Empty<DatasetEntry>();

    /// <summary>The manifest shipped with the library (a copy of <c>data/datasets.json</c>).</summary>
    public static DatasetManifest BuiltIn { get; } = LoadBuiltIn();

    /// <summary>The entry called <paramref name="name"/> (case-insensitive); an <see cref="ArgumentException"/> lists the known names otherwise.</summary>
    public DatasetEntry Get(string name) =>
        Datasets.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown dataset '{name}'. Known: {string.Join(", ", Datasets.Select(d => d.Name))}.");

    /// <summary>Parses manifest JSON; <paramref name="source"/> names it in error messages.</summary>
    public static DatasetManifest Parse(string json, string source)
    {
        DatasetManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<DatasetManifest>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: malformed dataset manifest: {e.Message}", e);
        }
        if (m is null) throw new InvalidDataException($"{source}: empty dataset manifest.");
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in m.Datasets)
        {
            if (string.IsNullOrWhiteSpace(d.Name) || !names.Add(d.Name))
                throw new InvalidDataException($"{source}: dataset name '{d.Name}' is empty or repeated.");
            if (!Uri.TryCreate(d.Archive.Url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
                throw new InvalidDataException($"{source}: dataset '{d.Name}' has an invalid archive URL '{d.Archive.Url}'.");
            if (string.IsNullOrWhiteSpace(d.Archive.FileName) || d.Archive.FileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
                || d.Archive.FileName.Contains("..", StringComparison.Ordinal))
                throw new InvalidDataException($"{source}: dataset '{d.Name}' has an invalid archive file name '{d.Archive.FileName}'.");
            CheckHex(source, d.Name, "sha256", d.Archive.Sha256, 64);
            CheckHex(source, d.Name, "md5", d.Archive.Md5, 32);
        }
        return m;
    }

    /// <summary>Reads a manifest file.</summary>
    public static DatasetManifest Load(string path) => Parse(File.ReadAllText(path), path);

    private static void CheckHex(string source, string name, string field, string? value, int length)
    {
        if (value is null) return;
        if (value.Length != length || !value.All(Uri.IsHexDigit))
            throw new InvalidDataException($"{source}: dataset '{name}' {field} '{value}' is not {length} hex digits.");
    }

    private static DatasetManifest LoadBuiltIn()
    {
        const string resource = "ECQx.Data.datasets.json";
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded dataset manifest '{resource}' is missing from the ECQx assembly.");
        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd(), "embedded datasets.json");
    }
}
