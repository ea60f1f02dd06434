using System.Globalization;
using System.Text;
using ECQx.Data.Download;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Speech.Synthesis;

/// <summary>A synthetic speaker: an 8-hex-digit id (the part before <c>_nohash_</c> in its file names), the espeak-ng voice
/// (<c>accent+variant</c>), speed in words per minute, pitch 0–99, and its split (<c>train</c>, <c>validation</c> or <c>test</c>).</summary>
public sealed record SyntheticSpeaker(string Id, string Voice, int WordsPerMinute, int Pitch, string Split);

/// <summary>
/// A spoken-word corpus in the exact on-disk layout of Google Speech Commands v0.02, spoken by espeak-ng on this machine:
/// one folder per word of 16 kHz mono 16-bit one-second WAVs named <c>&lt;speaker&gt;_nohash_&lt;n&gt;.wav</c>,
/// <c>_background_noise_/</c> with generated noise recordings, and <c>validation_list.txt</c> / <c>testing_list.txt</c>.
/// </summary>
/// <remarks>
/// Each speaker (<see cref="Speakers"/>) says each word once through espeak-ng; <see cref="SpokenClipVariants.Derive"/> turns
/// that utterance into the speaker's clips (speed, level, time offset, noise). Every speaker's clips are in one split, so the
/// test split measures generalisation to voices the network never heard. The corpus is written into a temporary folder beside
/// <c>root</c> and renamed into place when complete (with its <see cref="MarkerFileName"/> marker and <see cref="SpeakersFile"/>),
/// so an interrupted run leaves no corpus that looks complete. The same options and espeak-ng version write the same corpus.
/// </remarks>
public static class SynthesizedSpeechCommands
{
    /// <summary>Version of the generation procedure, part of the marker: a change rewrites existing corpora.</summary>
    public const int FormatVersion = 1;

    /// <summary>Name of the marker file at the root of a synthesized corpus.</summary>
    public const string MarkerFileName = "SYNTHESIZED-SPEECH.txt";

    /// <summary>Tab-separated list of the speakers (id, voice, words per minute, pitch, split) at the root of the corpus.</summary>
    public const string SpeakersFile = "speakers.tsv";

    /// <summary>The folder in the dataset store (see <see cref="DataDirectory"/>) that holds the synthesized corpus.</summary>
    public const string StoreFolder = "speech_commands_synthesized";

    /// <summary>The corpus folder under the data directory root <paramref name="dataRoot"/> (null: <see cref="DataDirectory.Resolve"/>).</summary>
    public static string DefaultDirectory(string? dataRoot = null) => Path.Combine(DataDirectory.Resolve(dataRoot), StoreFolder);

    /// <summary>True when <paramref name="directory"/> is a complete synthesized corpus (it has the marker).</summary>
    public static bool IsSynthesized(string directory) =>
        File.Exists(Path.Combine(Path.GetFullPath(directory), MarkerFileName));

    /// <summary>The speakers the options describe, in order: accent × variant combinations drawn without repetition, each
    /// with its own speed (130–190 words per minute) and pitch (25–75); the first <see cref="SpeechSynthesisOptions.TestSpeakers"/>
    /// are test speakers, the next <see cref="SpeechSynthesisOptions.ValidationSpeakers"/> validation, the rest training.</summary>
    public static IReadOnlyList<SyntheticSpeaker> Speakers(SpeechSynthesisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var random = new Random(unchecked((int)(options.Seed ^ (options.Seed >> 32))));
        var combos = options.Accents.SelectMany(a => options.Variants.Select(v => $"{a}+{v}")).ToArray();
        random.Shuffle(combos);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var speakers = new List<SyntheticSpeaker>();
        for (int i = 0; i < options.Speakers; i++)
        {
            string id;
            do id = random.Next().ToString("x8", CultureInfo.InvariantCulture); while (!ids.Add(id));
            string split = i < options.TestSpeakers ? "test" : i < options.TestSpeakers + options.ValidationSpeakers ? "validation" : "train";
            speakers.Add(new SyntheticSpeaker(id, combos[i], random.Next(130, 191), random.Next(25, 76), split));
        }
        return speakers;
    }

    /// <summary>
    /// Writes the corpus to <paramref name="root"/> (null: <see cref="DefaultDirectory"/>) and returns its full path. A complete
    /// corpus written with the same options is left as it is; a different synthesized corpus there is replaced; any other
    /// folder there is an <see cref="IOException"/> (nothing is overwritten). Without espeak-ng: a
    /// <see cref="SpeechSynthesizerMissingException"/> naming the package. Progress counts words spoken.
    /// </summary>
    public static string Write(string? root = null, SpeechSynthesisOptions? options = null, IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new SpeechSynthesisOptions();
        options.Validate();
        root = Path.GetFullPath(root ?? DefaultDirectory());
        string description = options.Describe();
        if (IsSynthesized(root) && File.ReadAllText(Path.Combine(root, MarkerFileName)).Contains(description, StringComparison.Ordinal))
            return root;
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any() && !IsSynthesized(root))
            throw new IOException($"{root} exists and is not a synthesized Speech Commands corpus (no {MarkerFileName}); not overwriting it. " +
                                  "Choose another folder, or remove it.");
        string espeak = EspeakNg.Require(options.ExecutableSearchPath);
        string version = EspeakNg.Version(espeak);
        TorchRuntime.EnsureLoaded();
        string parent = Path.GetDirectoryName(root) ?? throw new IOException($"{root} has no parent folder");
        Directory.CreateDirectory(parent);
        RemoveStalePartials(root);
        string temp = $"{root}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            WriteInto(temp, espeak, options, progress, cancellationToken);
            File.WriteAllText(Path.Combine(temp, MarkerFileName),
                "SYNTHESIZED SPEECH, not recordings of people: every clip was spoken by the espeak-ng synthesizer on this machine " +
                $"({version}) and varied in C# (speed, level, time offset, noise) by `ecqx data synthesize speech-commands`.\n" +
                "Accuracies on it say how well a model learns these synthetic voices, not how it does on Google Speech Commands.\n" +
                description + "\n");
            MoveIntoPlace(temp, root, description);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        progress?.Report(new DataProgress(DataStage.Done, root, 1, 1));
        return root;
    }

    private static void WriteInto(string dir, string espeak, SpeechSynthesisOptions options, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        var speakers = Speakers(options);
        var words = options.Words;
        string noiseDir = Path.Combine(dir, SpeechCommandsLayout.BackgroundNoiseFolder);
        Directory.CreateDirectory(noiseDir);
        var noiseFiles = new List<string>();
        using (var gen = new Generator(Mix(options.Seed, -1, -1)))
            foreach (string kind in SpokenClipVariants.NoiseKinds)
            {
                using var recording = SpokenClipVariants.NoiseRecording(kind, 10 * 16_000, gen);
                string path = Path.Combine(noiseDir, kind + ".wav");
                File.WriteAllBytes(path, WavWriter.Encode(SpokenClipVariants.ToPcm16(recording)));
                noiseFiles.Add(path);
            }
        foreach (string w in words) Directory.CreateDirectory(Path.Combine(dir, w));
        using var noise = BackgroundNoise.Load(noiseFiles, 16_000, 16_000);
        var jobs = speakers.SelectMany((s, si) => words.Select((w, wi) => (Speaker: s, SpeakerIndex: si, Word: w, WordIndex: wi))).ToList();
        progress?.Report(new DataProgress(DataStage.Synthesizing, "speech_commands", 0, jobs.Count));
        // espeak-ng runs in parallel processes (the slow part); the variants are derived on this thread, because TorchSharp
        // calls from several threads at once were seen to corrupt a scalar argument (clamp_min failing in Scalar::toDouble).
        var utterances = new (short[] Samples, int Rate)[jobs.Count];
        Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct }, k =>
        {
            var job = jobs[k];
            var samples = EspeakNg.Speak(espeak, new EspeakRequest(job.Word, job.Speaker.Voice, job.Speaker.WordsPerMinute, job.Speaker.Pitch), out int rate);
            utterances[k] = (samples, rate);
        });
        for (int k = 0; k < jobs.Count; k++)
        {
            ct.ThrowIfCancellationRequested();
            var job = jobs[k];
            int count = job.WordIndex < SpeechCommandsClasses.Keywords.Count ? options.ClipsPerKeyword : options.ClipsPerUnknownWord;
            using var scope = NewDisposeScope();
            using var gen = new Generator(Mix(options.Seed, job.SpeakerIndex, job.WordIndex));
            var clips = SpokenClipVariants.Derive(utterances[k].Samples, utterances[k].Rate, count, noise, gen);
            for (int i = 0; i < count; i++)
                File.WriteAllBytes(Path.Combine(dir, job.Word, $"{job.Speaker.Id}_nohash_{i}.wav"), WavWriter.Encode(SpokenClipVariants.ToPcm16(clips[i])));
            progress?.Report(new DataProgress(DataStage.Synthesizing, job.Word, k + 1, jobs.Count));
        }
        string List(string split) => string.Concat(speakers.Where(s => s.Split == split)
            .SelectMany(s => words.SelectMany((w, wi) => Enumerable.Range(0, wi < SpeechCommandsClasses.Keywords.Count ? options.ClipsPerKeyword : options.ClipsPerUnknownWord)
                .Select(i => $"{w}/{s.Id}_nohash_{i}.wav")))
            .Order(StringComparer.Ordinal).Select(l => l + "\n"));
        File.WriteAllText(Path.Combine(dir, SpeechCommandsLayout.ValidationList), List("validation"));
        File.WriteAllText(Path.Combine(dir, SpeechCommandsLayout.TestingList), List("test"));
        File.WriteAllText(Path.Combine(dir, SpeakersFile), "id\tvoice\twords_per_minute\tpitch\tsplit\n" + string.Concat(speakers.Select(s =>
            string.Create(CultureInfo.InvariantCulture, $"{s.Id}\t{s.Voice}\t{s.WordsPerMinute}\t{s.Pitch}\t{s.Split}\n"))));
    }

    /// <summary>Renames the finished corpus into place; an older synthesized corpus there is moved aside first and then
    /// deleted. If another process put the same corpus there meanwhile, ours is discarded.</summary>
    private static void MoveIntoPlace(string temp, string root, string description)
    {
        string? old = null;
        if (Directory.Exists(root))
        {
            old = $"{root}.old-{Guid.NewGuid():N}";
            Directory.Move(root, old);
        }
        try
        {
            Directory.Move(temp, root);
        }
        catch (IOException) when (IsSynthesized(root) && File.ReadAllText(Path.Combine(root, MarkerFileName)).Contains(description, StringComparison.Ordinal))
        {
            TryDelete(temp);
        }
        if (old is not null) TryDelete(old);
    }

    /// <summary>Deletes leftovers of interrupted runs for <paramref name="root"/> that are over an hour old (a younger one
    /// may belong to a run still going).</summary>
    private static void RemoveStalePartials(string root)
    {
        string parent = Path.GetDirectoryName(root)!, name = Path.GetFileName(root);
        foreach (string d in Directory.EnumerateDirectories(parent, name + ".partial-*").Concat(Directory.EnumerateDirectories(parent, name + ".old-*")))
            if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(d) > TimeSpan.FromHours(1)) TryDelete(d);
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>A generator seed for one (speaker, word) job: splitmix64 of the three numbers, so jobs are independent of
    /// the order the parallel loop runs them in.</summary>
    private static ulong Mix(long seed, int speaker, int word)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)(speaker + 2) * 0xBF58476D1CE4E5B9UL + (ulong)(word + 2) * 0x94D049BB133111EBUL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
