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

    /// <summary>Scans <paramref name="root"/>; missing list files raise a <see cref="FileNotFoundException"/> naming them.</summary>
    public static SpeechCommandsLayout Scan(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Speech Commands directory not found: {root}");
        string valPath = Path.Combine(root, ValidationList), testPath = Path.Combine(root, TestingList);
        foreach (var p in new[] { valPath, testPath })
            if (!File.Exists(p)) throw new FileNotFoundException($"{p} is missing; is '{root}' an extracted Speech Commands archive?", p);
        var val = ReadList(valPath);
        var test = ReadList(testPath);

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
        string noiseDir = Path.Combine(root, BackgroundNoiseFolder);
        var noise = Directory.Exists(noiseDir)
            ? Directory.EnumerateFiles(noiseDir, "*.wav").OrderBy(n => n, StringComparer.Ordinal).ToList()
            : new List<string>();
        return new SpeechCommandsLayout(root, words, noise, train, validation, testing);
    }

    private static HashSet<string> ReadList(string path) =>
        File.ReadLines(path)
            .Select(l => l.Trim().Replace('\\', '/'))
            .Where(l => l.Length > 0)
            .Select(l => l.StartsWith("./", StringComparison.Ordinal) ? l[2..] : l)
            .ToHashSet(StringComparer.Ordinal);
}
