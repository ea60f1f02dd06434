namespace ECQx.Data.Speech;

/// <summary>One utterance: its path relative to the dataset root (with '/' separators) and its word.</summary>
/// <param name="RelativePath">e.g. <c>yes/0a7c2a8d_nohash_0.wav</c>.</param>
/// <param name="Word">The folder name, e.g. <c>yes</c>.</param>
public sealed record SpeechClip(string RelativePath, string Word);

/// <summary>
/// The on-disk layout of Google Speech Commands v0.01/v0.02: one folder of 1-second 16 kHz WAVs per word,
/// <c>_background_noise_/</c> with long noise recordings, and <c>validation_list.txt</c> / <c>testing_list.txt</c>
/// listing the relative paths of the validation and test utterances; every other utterance is training data.
/// </summary>
public sealed class SpeechCommandsLayout
{
    /// <summary>Folder of background noise recordings.</summary>
    public const string BackgroundNoiseFolder = "_background_noise_";

    /// <summary>File listing the validation utterances.</summary>
    public const string ValidationList = "validation_list.txt";

    /// <summary>File listing the test utterances.</summary>
    public const string TestingList = "testing_list.txt";

    private SpeechCommandsLayout(string root, IReadOnlyList<string> words, IReadOnlyList<string> noise,
        IReadOnlyList<SpeechClip> train, IReadOnlyList<SpeechClip> validation, IReadOnlyList<SpeechClip> test)
    {
        Root = root;
        Words = words;
        NoiseFiles = noise;
        Train = train;
        Validation = validation;
        Test = test;
    }

    /// <summary>The dataset root.</summary>
    public string Root { get; }

    /// <summary>Word folders found (ordinal order): 35 in v0.02, 30 in v0.01.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Absolute paths of the background noise WAVs (ordinal order).</summary>
    public IReadOnlyList<string> NoiseFiles { get; }

    /// <summary>Training utterances (ordinal order of relative path).</summary>
    public IReadOnlyList<SpeechClip> Train { get; }

    /// <summary>Validation utterances.</summary>
    public IReadOnlyList<SpeechClip> Validation { get; }

    /// <summary>Test utterances.</summary>
    public IReadOnlyList<SpeechClip> Test { get; }

    /// <summary>Absolute path of a clip.</summary>
    public string FullPath(SpeechClip clip) => Path.Combine(Root, clip.RelativePath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>
    /// Scans <paramref name="root"/>. Missing list files raise a <see cref="FileNotFoundException"/> naming them (a
    /// directory in a list file's place, an <see cref="InvalidDataException"/> saying so); a
    /// list that names no clip, has a line that is not a relative clip path (<c>word/name.wav</c>), or names a clip
    /// that does not exist raises an <see cref="InvalidDataException"/> naming the list, the line and the entry.
    /// </summary>
    public static SpeechCommandsLayout Scan(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Speech Commands directory not found: {root}");
        string valPath = Path.Combine(root, ValidationList), testPath = Path.Combine(root, TestingList);
        foreach (var p in new[] { valPath, testPath })
            if (Directory.Exists(p)) throw new InvalidDataException($"{p} is a directory, not the list file of that name; is '{root}' an extracted Speech Commands archive?");
            else if (!File.Exists(p)) throw new FileNotFoundException($"{p} is missing; is '{root}' an extracted Speech Commands archive?", p);
        var valLines = ReadList(valPath);
        var testLines = ReadList(testPath);
        var val = valLines.Select(l => l.Entry).ToHashSet(StringComparer.Ordinal);
        var test = testLines.Select(l => l.Entry).ToHashSet(StringComparer.Ordinal);

        var words = Directory.EnumerateDirectories(root)
            .Select(Path.GetFileName)
            .Where(n => n is not null && !n.StartsWith('_') && !n.StartsWith('.'))
            .Select(n => n!)
            .Where(n => Directory.EnumerateFiles(Path.Combine(root, n), "*.wav").Any())
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();
        if (words.Count == 0) throw new InvalidDataException($"{root}: no word folders with .wav files found.");

        var train = new List<SpeechClip>();
        var validation = new List<SpeechClip>();
        var testing = new List<SpeechClip>();
        foreach (string w in words)
        {
            foreach (string f in Directory.EnumerateFiles(Path.Combine(root, w), "*.wav").Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal)!)
            {
                var clip = new SpeechClip($"{w}/{f}", w);
                if (test.Contains(clip.RelativePath)) testing.Add(clip);
                else if (val.Contains(clip.RelativePath)) validation.Add(clip);
                else train.Add(clip);
            }
        }
        var scanned = train.Concat(validation).Concat(testing).Select(c => c.RelativePath).ToHashSet(StringComparer.Ordinal);
        CheckListed(valPath, valLines, scanned, root);
        CheckListed(testPath, testLines, scanned, root);
        string noiseDir = Path.Combine(root, BackgroundNoiseFolder);
        var noise = Directory.Exists(noiseDir)
            ? Directory.EnumerateFiles(noiseDir, "*.wav").OrderBy(n => n, StringComparer.Ordinal).ToList()
            : new List<string>();
        return new SpeechCommandsLayout(root, words, noise, train, validation, testing);
    }

    /// <summary>The non-empty lines of a list file as normalised relative paths, with their 1-based line numbers;
    /// a line that cannot be a clip path (<c>word/name.wav</c>, printable characters) is an error naming it.</summary>
    private static List<(int Line, string Entry)> ReadList(string path)
    {
        var entries = new List<(int, string)>();
        int number = 0;
        foreach (string raw in File.ReadLines(path))
        {
            number++;
            string l = raw.Trim().Replace('\\', '/');
            if (l.Length == 0) continue;
            if (l.StartsWith("./", StringComparison.Ordinal)) l = l[2..];
            var parts = l.Split('/');
            bool printable = l.All(c => !char.IsControl(c) && c != '\uFFFD');
            if (!printable || parts.Length != 2 || parts[0].Length == 0 || parts[0].StartsWith('.') || parts[0].StartsWith('_')
                || !parts[1].EndsWith(".wav", StringComparison.Ordinal) || parts[1].Length <= 4)
                throw new InvalidDataException(
                    $"{path} line {number}: '{Snippet(raw)}' is not a clip path like 'yes/0a7c2a8d_nohash_0.wav' (is this a Speech Commands list file?)");
            entries.Add((number, l));
        }
        if (entries.Count == 0)
            throw new InvalidDataException($"{path} lists no clips, so its split would be empty (an extracted Speech Commands archive lists thousands).");
        return entries;
    }

    private static void CheckListed(string listPath, List<(int Line, string Entry)> entries, HashSet<string> scanned, string root)
    {
        foreach (var (line, entry) in entries)
            if (!scanned.Contains(entry))
                throw new InvalidDataException($"{listPath} line {line}: '{entry}' names a clip that does not exist under {root}.");
    }

    private static string Snippet(string line)
    {
        var chars = line.Take(60).Select(c => char.IsControl(c) || c == '\uFFFD' ? '?' : c).ToArray();
        return new string(chars) + (line.Length > 60 ? "…" : "");
    }
}
