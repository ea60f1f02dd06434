namespace ECQx.Data.Speech.Synthesis;

/// <summary>
/// What <see cref="SynthesizedSpeechCommands.Write"/> makes: how many synthetic speakers (espeak-ng voice × variant, each with
/// its own speed and pitch), how many of them go to the test and validation splits, and how many clips each speaker says of
/// each word. The defaults give 60 speakers (44 train, 4 validation, 12 test), 8 clips per keyword and 1 per unknown word:
/// 6,000 clips, of which 960 keyword clips are test data, so the 12-class test split (with its unknown and silence examples)
/// holds 1,152 clips.
/// </summary>
public sealed record SpeechSynthesisOptions
{
    /// <summary>Seed: the same seed (and espeak-ng version) writes the same corpus.</summary>
    public long Seed { get; init; } = 808;

    /// <summary>Number of synthetic speakers.</summary>
    public int Speakers { get; init; } = 60;

    /// <summary>Speakers whose clips are all test clips.</summary>
    public int TestSpeakers { get; init; } = 12;

    /// <summary>Speakers whose clips are all validation clips.</summary>
    public int ValidationSpeakers { get; init; } = 4;

    /// <summary>Clips per speaker of each of the ten keywords.</summary>
    public int ClipsPerKeyword { get; init; } = 8;

    /// <summary>Clips per speaker of each unknown word.</summary>
    public int ClipsPerUnknownWord { get; init; } = 1;

    /// <summary>The non-keyword words spoken (they become the 12-class task's <c>_unknown_</c> class): words of the real
    /// dataset.</summary>
    public IReadOnlyList<string> UnknownWords { get; init; } = new[]
    {
        "bed", "bird", "cat", "dog", "eight", "five", "four", "happy", "house", "marvin",
        "nine", "one", "seven", "sheila", "six", "three", "tree", "two", "wow", "zero",
    };

    /// <summary>espeak-ng language voices (accents) the speakers are drawn from.</summary>
    public IReadOnlyList<string> Accents { get; init; } = new[]
    {
        "en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
    };

    /// <summary>espeak-ng voice variants (male m1–m7, female f1–f5) the speakers are drawn from.</summary>
    public IReadOnlyList<string> Variants { get; init; } = new[] { "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5" };

    /// <summary>espeak-ng processes run at once (they mostly wait on process start-up, so more than the core count pays).</summary>
    public int Parallelism { get; init; } = Math.Max(4, 2 * Environment.ProcessorCount);

    /// <summary>Folders searched for espeak-ng, PATH-style; null uses the <c>PATH</c> environment variable.</summary>
    public string? ExecutableSearchPath { get; init; }

    /// <summary>Every word spoken: the ten keywords, then <see cref="UnknownWords"/>.</summary>
    public IReadOnlyList<string> Words => SpeechCommandsClasses.Keywords.Concat(UnknownWords).ToList();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Speakers < 3) throw new ArgumentException($"Speakers must be at least 3 (one per split), got {Speakers}.");
        if (TestSpeakers < 1 || ValidationSpeakers < 1 || TestSpeakers + ValidationSpeakers >= Speakers)
            throw new ArgumentException($"TestSpeakers ({TestSpeakers}) and ValidationSpeakers ({ValidationSpeakers}) must each be at least 1 and leave training speakers among {Speakers}.");
        if (Speakers > Accents.Count * Variants.Count)
            throw new ArgumentException($"Speakers ({Speakers}) exceeds the {Accents.Count}×{Variants.Count} accent × variant combinations.");
        if (ClipsPerKeyword < 1 || ClipsPerUnknownWord < 1)
            throw new ArgumentException($"ClipsPerKeyword ({ClipsPerKeyword}) and ClipsPerUnknownWord ({ClipsPerUnknownWord}) must be at least 1.");
        if (Parallelism < 1) throw new ArgumentException($"Parallelism must be at least 1, got {Parallelism}.");
        foreach (string w in UnknownWords)
            if (string.IsNullOrWhiteSpace(w) || SpeechCommandsClasses.Keywords.Contains(w) || w.Any(c => !char.IsAsciiLetterLower(c)))
                throw new ArgumentException($"Unknown word '{w}' must be lower-case letters and not a keyword.");
        if (UnknownWords.Distinct().Count() != UnknownWords.Count) throw new ArgumentException("UnknownWords has duplicates.");
    }

    /// <summary>One line that identifies the corpus these options write (kept in the marker file).</summary>
    public string Describe() =>
        $"synthesized Speech Commands v{SynthesizedSpeechCommands.FormatVersion}: seed {Seed}, {Speakers} speakers ({TestSpeakers} test, {ValidationSpeakers} validation), " +
        $"{ClipsPerKeyword} clips per keyword and {ClipsPerUnknownWord} per unknown word, words {string.Join(",", Words)}, " +
        $"accents {string.Join(",", Accents)}, variants {string.Join(",", Variants)}";
}
