using System.Text.Json;
using ECQx.IO;

namespace ECQx.Data.Download;

/// <summary>Options of a <see cref="DatasetStore"/>.</summary>
public sealed record DatasetStoreOptions
{
    /// <summary>Data directory root; null uses <see cref="DataDirectory.Resolve"/> (ECQX_DATA_DIR or the default).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Never touch the network: use what is on disk or fail with a message saying what to put where.</summary>
    public bool Offline { get; init; }

    /// <summary>The manifest; <see cref="DatasetManifest.BuiltIn"/> when null.</summary>
    public DatasetManifest? Manifest { get; init; }

    /// <summary>Timeouts and retries for downloads.</summary>
    public DownloadOptions Download { get; init; } = new();

    /// <summary>HTTP handler to use instead of the default (tests point this at a loopback server).</summary>
    public Func<HttpMessageHandler>? HandlerFactory { get; init; }

    /// <summary>Bound on unpacked bytes per archive.</summary>
    public long MaxExtractedBytes { get; init; } = TarGzExtractor.DefaultMaxBytes;
}

/// <summary>
/// Gets datasets onto disk and keeps them trustworthy. <see cref="EnsureAsync"/> returns the directory of an
/// extracted dataset, downloading (resumably) and extracting when needed:
/// <list type="number">
/// <item>A dataset directory with a completion marker and all required paths is used as is.</item>
/// <item>Otherwise the archive in <c>downloads/</c> is used, or downloaded (not in offline mode).</item>
/// <item>The archive is hashed and checked against the manifest's SHA-256 and MD5 when given, and against the
/// pin of an earlier trusted download. A mismatch renames it to <c>.corrupt</c> and throws an
/// <see cref="InvalidDataException"/> naming both paths and both hashes.</item>
/// <item>It is extracted into a temporary directory beside the final one, the required paths are checked, a
/// completion marker is written, and the directory is renamed into place (atomic on one file system). A corrupt or
/// truncated archive leaves no dataset directory, and the archive is renamed to <c>.corrupt</c>.</item>
/// <item>Trust on first download: when the manifest has no SHA-256, the archive's SHA-256 is pinned in
/// <c>downloads/&lt;file&gt;.sha256</c> once it has extracted and validated cleanly; later runs verify against it.</item>
/// </list>
/// </summary>
public sealed class DatasetStore
{
    /// <summary>Name of the completion marker written last into an extracted dataset.</summary>
    public const string CompletionMarker = ".ecqx-complete.json";

    private readonly DatasetStoreOptions _options;

    /// <summary>Creates a store over the resolved data directory.</summary>
    public DatasetStore(DatasetStoreOptions? options = null)
    {
        _options = options ?? new DatasetStoreOptions();
        _options.Download.Validate();
        Root = Download.DataDirectory.Resolve(_options.DataDirectory);
        Manifest = _options.Manifest ?? DatasetManifest.BuiltIn;
    }

    /// <summary>The data directory root.</summary>
    public string Root { get; }

    /// <summary>The manifest in use.</summary>
    public DatasetManifest Manifest { get; }

    /// <summary>True when the store never uses the network.</summary>
    public bool Offline => _options.Offline;

    /// <summary>Where the archive of <paramref name="entry"/> is stored.</summary>
    public string ArchivePath(DatasetEntry entry) => Path.Combine(Root, "downloads", entry.Archive.FileName);

    /// <summary>Where the pin (trusted SHA-256) of <paramref name="entry"/>'s archive is stored.</summary>
    public string PinPath(DatasetEntry entry) => ArchivePath(entry) + ".sha256";

    /// <summary>Where <paramref name="entry"/> is extracted.</summary>
    public string ExtractionDirectory(DatasetEntry entry) => Path.Combine(Root, entry.Name);

    /// <summary>The directory loaders should be given once <paramref name="entry"/> is extracted.</summary>
    public string DataPath(DatasetEntry entry) =>
        string.IsNullOrEmpty(entry.DataSubdirectory) ? ExtractionDirectory(entry) : Path.Combine(ExtractionDirectory(entry), entry.DataSubdirectory);

    /// <summary>What is on disk for dataset <paramref name="name"/>.</summary>
    public DatasetStatus Status(string name)
    {
        var e = Manifest.Get(name);
        string archive = ArchivePath(e), part = ResumableDownloader.PartPath(archive);
        return new DatasetStatus(e.Name, archive, File.Exists(archive), File.Exists(part) ? new FileInfo(part).Length : 0,
            ReadPin(e), ExtractionDirectory(e), IsExtracted(e));
    }

    /// <summary>Synchronous <see cref="EnsureAsync"/>.</summary>
    public string Ensure(string name, IProgress<DataProgress>? progress = null, CancellationToken ct = default) =>
        EnsureAsync(name, progress, ct).GetAwaiter().GetResult();

    /// <summary>Returns the data path of dataset <paramref name="name"/>, fetching and extracting it when needed (see the class remarks).</summary>
    /// <exception cref="DatasetNotAvailableException">Offline and neither the dataset nor its archive is on disk.</exception>
    /// <exception cref="InvalidDataException">The archive fails a checksum, or is corrupt or truncated.</exception>
    public async Task<string> EnsureAsync(string name, IProgress<DataProgress>? progress = null, CancellationToken ct = default)
    {
        var e = Manifest.Get(name);
        if (IsExtracted(e)) return DataPath(e);

        string archive = ArchivePath(e);
        bool downloaded = false;
        if (!File.Exists(archive))
        {
            if (Offline) throw new DatasetNotAvailableException(e.Name, MissingMessage(e));
            using var downloader = new ResumableDownloader(_options.HandlerFactory?.Invoke(), _options.Download);
            await downloader.DownloadAsync(new Uri(e.Archive.Url), archive, progress, ct).ConfigureAwait(false);
            downloaded = true;
        }

        var hashes = FileHashes.Compute(archive, progress, ct);
        var problems = CompareHashes(e, hashes);
        if (problems.Count > 0)
        {
            string corrupt = Quarantine(archive);
            throw new InvalidDataException(
                $"{archive}: checksum mismatch ({string.Join("; ", problems)}). The file was moved to {corrupt}. " +
                (downloaded ? "The download was damaged or the server sent a different file; run again to download it afresh."
                            : "Replace it with a good copy from " + e.Archive.Url + " or run again without --offline to download it."));
        }

        ExtractAtomically(e, archive, hashes, progress, ct);
        if (ReadPin(e) is null) AtomicFile.WriteAllText(PinPath(e), $"{hashes.Sha256}  {e.Archive.FileName}\n");
        progress?.Report(new DataProgress(DataStage.Done, e.Name, 1, 1));
        return DataPath(e);
    }

    /// <summary>
    /// Re-hashes the archive (when present) against the manifest and the pin, and checks the extracted dataset's
    /// marker and required paths. Never touches the network.
    /// </summary>
    public VerifyReport Verify(string name, IProgress<DataProgress>? progress = null, CancellationToken ct = default)
    {
        var e = Manifest.Get(name);
        string archive = ArchivePath(e);
        var messages = new List<string>();
        FileHashes? hashes = null;
        bool? verdict = null;
        if (File.Exists(archive))
        {
            hashes = FileHashes.Compute(archive, progress, ct);
            bool hasReference = e.Archive.Sha256 is not null || e.Archive.Md5 is not null || ReadPin(e) is not null;
            var problems = CompareHashes(e, hashes);
            if (problems.Count > 0)
            {
                verdict = false;
                messages.AddRange(problems.Select(p => $"{archive}: {p}"));
            }
            else if (hasReference)
            {
                verdict = true;
                messages.Add($"{archive}: checksums match (sha256 {hashes.Sha256}).");
            }
            else
            {
                messages.Add($"{archive}: no published checksum and no pin yet (sha256 {hashes.Sha256}); the first successful extraction pins it.");
            }
        }
        else
        {
            messages.Add($"{archive}: not present" + (File.Exists(ResumableDownloader.PartPath(archive)) ? " (a partial download awaits resumption)." : "."));
        }

        string dir = ExtractionDirectory(e);
        bool marker = File.Exists(Path.Combine(dir, CompletionMarker));
        var missing = Directory.Exists(dir) ? MissingPaths(e, dir) : e.RequiredPaths.ToList();
        if (marker && missing.Count == 0) messages.Add($"{dir}: extracted and complete.");
        else if (Directory.Exists(dir) && !marker) messages.Add($"{dir}: exists but has no completion marker ({CompletionMarker}); it is not trusted and will be replaced by the next extraction.");
        else if (marker) messages.Add($"{dir}: completion marker present but missing: {string.Join(", ", missing)}.");
        else messages.Add($"{dir}: not extracted.");
        if (!marker || !Directory.Exists(dir)) missing = new List<string>();
        return new VerifyReport(e.Name, archive, hashes, verdict, marker && missing.Count == 0, missing, messages);
    }

    /// <summary>What to do by hand when a dataset is missing in offline mode.</summary>
    public string MissingMessage(DatasetEntry e)
    {
        string checks = e.Archive.Sha256 is not null ? $"sha256 {e.Archive.Sha256}"
            : e.Archive.Md5 is not null ? $"md5 {e.Archive.Md5}" : "no published checksum";
        return $"Dataset '{e.Name}' ({e.Title}) is not available offline: {ExtractionDirectory(e)} has no completed extraction " +
               $"and the archive {ArchivePath(e)} is missing. On a machine with internet, download {e.Archive.Url} ({checks}) " +
               $"and copy it to {ArchivePath(e)} (it will be verified and extracted on the next run), " +
               $"or set {Download.DataDirectory.EnvironmentVariable} / --data-dir to a data directory that already holds it" +
               (e.RequiredPaths.Count > 0 ? $"; an extracted copy must contain {string.Join(", ", e.RequiredPaths)}." : ".");
    }

    private bool IsExtracted(DatasetEntry e)
    {
        string dir = ExtractionDirectory(e);
        return File.Exists(Path.Combine(dir, CompletionMarker)) && MissingPaths(e, dir).Count == 0;
    }

    private static List<string> MissingPaths(DatasetEntry e, string dir) =>
        e.RequiredPaths.Where(p => p.EndsWith('/')
            ? !Directory.Exists(Path.Combine(dir, p.TrimEnd('/')))
            : !File.Exists(Path.Combine(dir, p))).ToList();

    private string? ReadPin(DatasetEntry e)
    {
        string pin = PinPath(e);
        if (!File.Exists(pin)) return null;
        string text = File.ReadAllText(pin).Trim();
        string hex = text.Split(' ', 2)[0].ToLowerInvariant();
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
            throw new InvalidDataException($"{pin}: malformed SHA-256 pin '{text}'. Delete it to re-pin on the next successful extraction.");
        return hex;
    }

    private List<string> CompareHashes(DatasetEntry e, FileHashes h)
    {
        var problems = new List<string>();
        if (e.Archive.Sha256 is { } s && !string.Equals(s, h.Sha256, StringComparison.OrdinalIgnoreCase))
            problems.Add($"sha256 is {h.Sha256}, the manifest expects {s.ToLowerInvariant()}");
        if (e.Archive.Md5 is { } m && !string.Equals(m, h.Md5, StringComparison.OrdinalIgnoreCase))
            problems.Add($"md5 is {h.Md5}, the manifest expects {m.ToLowerInvariant()}");
        if (ReadPin(e) is { } pin && pin != h.Sha256)
            problems.Add($"sha256 is {h.Sha256}, but an earlier trusted download pinned {pin} in {PinPath(e)}");
        return problems;
    }

    private void ExtractAtomically(DatasetEntry e, string archive, FileHashes hashes, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(Root);
        string final = ExtractionDirectory(e);
        string temp = Path.Combine(Root, $".extract-{e.Name}-{Guid.NewGuid():N}");
        try
        {
            TarGzExtractor.Extract(archive, temp, progress, _options.MaxExtractedBytes, ct);
            var missing = MissingPaths(e, temp);
            if (missing.Count > 0)
                throw new InvalidDataException(
                    $"{archive}: the archive extracted but lacks {string.Join(", ", missing)} (truncated, or not the {e.Title} archive).");
            var marker = new
            {
                dataset = e.Name,
                archive = e.Archive.FileName,
                sha256 = hashes.Sha256,
                md5 = hashes.Md5,
                url = e.Archive.Url,
                extractedUtc = DateTime.UtcNow.ToString("O"),
            };
            AtomicFile.WriteAllText(Path.Combine(temp, CompletionMarker), JsonSerializer.Serialize(marker, new JsonSerializerOptions { WriteIndented = true }));
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true); // untrusted leftovers (no marker)
            try
            {
                Directory.Move(temp, final);
            }
            catch (IOException) when (IsExtracted(e))
            {
                TryDelete(temp); // another process completed the same extraction first
            }
        }
        catch (InvalidDataException ex)
        {
            TryDelete(temp);
            string corrupt = Quarantine(archive);
            throw new InvalidDataException(
                $"{archive}: the archive is corrupt or truncated and was moved to {corrupt}; nothing was extracted to {final}. " +
                $"Run again to download it afresh (or replace the file by hand when offline). Cause: {ex.Message}", ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static string Quarantine(string archive)
    {
        string corrupt = archive + ".corrupt";
        File.Move(archive, corrupt, overwrite: true);
        return corrupt;
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
