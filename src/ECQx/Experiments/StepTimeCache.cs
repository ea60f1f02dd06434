using System.Text.Json;
using ECQx.IO;

namespace ECQx.Experiments;

/// <summary>
/// The calibrated step times of this user (<see cref="StepTimes"/> by <see cref="StepTimeKey"/>), as one JSON file,
/// by default <c>$XDG_CACHE_HOME/ecqx/step-times.json</c> (<c>~/.cache/ecqx/</c> when the variable is unset).
/// </summary>
/// <remarks>
/// A missing file is an empty cache. A file that cannot be read or parsed, or that holds an invalid entry, is a warning
/// naming the file (through the log given to <see cref="Load"/>) and an empty cache: the sweep is calibrated again and the
/// file rewritten. <see cref="Save"/> writes atomically; entries of other keys (other thread counts, devices, models)
/// are kept.
/// </remarks>
public sealed class StepTimeCache
{
    /// <summary>The file name inside the cache folder.</summary>
    public const string FileName = "step-times.json";

    private const int FormatVersion = 1;
    private readonly List<Entry> _entries;

    private StepTimeCache(string path, List<Entry> entries)
    {
        Path = path;
        _entries = entries;
    }

    /// <summary>The cache file.</summary>
    public string Path { get; }

    /// <summary>Every entry, in the order measured.</summary>
    public IReadOnlyList<(StepTimeKey Key, StepTimes Times)> Entries => _entries.Select(e => (e.Key, e.Times)).ToList();

    /// <summary><c>$XDG_CACHE_HOME/ecqx/step-times.json</c>, or <c>~/.cache/ecqx/step-times.json</c> when the variable is unset or empty.</summary>
    public static string DefaultPath()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg) ? xdg
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return System.IO.Path.Combine(root, "ecqx", FileName);
    }

    /// <summary>
    /// Reads <paramref name="path"/> (default <see cref="DefaultPath"/>); a missing file is an empty cache, a corrupt or
    /// unreadable one is reported on <paramref name="warn"/> and read as empty.
    /// </summary>
    public static StepTimeCache Load(string? path = null, Action<string>? warn = null)
    {
        string file = System.IO.Path.GetFullPath(path ?? DefaultPath());
        if (!File.Exists(file)) return new StepTimeCache(file, new List<Entry>());
        try
        {
            var doc = JsonSerializer.Deserialize<CacheFile>(File.ReadAllText(file), ResolvedConfig.Json)
                      ?? throw new InvalidDataException("the file holds JSON null");
            if (doc.Version != FormatVersion) throw new InvalidDataException($"version {doc.Version}, this ecqx reads version {FormatVersion}");
            var entries = doc.Entries ?? throw new InvalidDataException("no entries list");
            foreach (var e in entries)
            {
                if (e?.Key is null || e.Times is null) throw new InvalidDataException("an entry lacks its key or times");
                if (e.Times.Invalid() is string bad) throw new InvalidDataException($"entry for model '{e.Key.Model}': {bad}");
            }
            return new StepTimeCache(file, entries.ToList());
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            warn?.Invoke($"warning: the step-time cache {file} is unreadable ({e.Message}); calibrating again, the file will be rewritten");
            return new StepTimeCache(file, new List<Entry>());
        }
    }

    /// <summary>The times measured for <paramref name="key"/>, or null.</summary>
    public StepTimes? Find(StepTimeKey key) => _entries.LastOrDefault(e => e.Key == key)?.Times;

    /// <summary>Records <paramref name="times"/> for <paramref name="key"/>, replacing an entry of the same key.</summary>
    public void Set(StepTimeKey key, StepTimes times)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (times.Invalid() is string bad) throw new ArgumentException($"step times of model '{key.Model}' are invalid: {bad}");
        _entries.RemoveAll(e => e.Key == key);
        _entries.Add(new Entry(key, times));
    }

    /// <summary>Writes the cache file atomically (creating its folder).</summary>
    public void Save() => AtomicFile.WriteAllText(Path, JsonSerializer.Serialize(new CacheFile(FormatVersion, _entries), ResolvedConfig.Json));

    private sealed record Entry(StepTimeKey Key, StepTimes Times);

    private sealed record CacheFile(int Version, List<Entry>? Entries);
}
