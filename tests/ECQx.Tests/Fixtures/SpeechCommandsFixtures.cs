namespace ECQx.Tests.Fixtures;

/// <summary>Writes tiny Google Speech Commands trees (word folders of WAVs, background noise, list files).</summary>
public static class SpeechCommandsFixtures
{
    /// <summary>What to generate.</summary>
    public sealed record Spec
    {
        /// <summary>Word folders; defaults to four keywords plus two non-keywords.</summary>
        public IReadOnlyList<string> Words { get; init; } = new[] { "yes", "no", "up", "down", "cat", "dog" };
        /// <summary>Speakers per word; speaker 0 goes to the test list, speaker 1 to validation, the rest train.</summary>
        public int SpeakersPerWord { get; init; } = 5;
        /// <summary>Samples per clip (some clips are made shorter to exercise padding).</summary>
        public int ClipSamples { get; init; } = 16_000;
        /// <summary>Background noise recordings and their length in samples.</summary>
        public int NoiseFiles { get; init; } = 2;
        /// <summary>Length of each noise recording.</summary>
        public int NoiseSamples { get; init; } = 40_000;
    }

    /// <summary>Speaker id string of speaker <paramref name="s"/>.</summary>
    public static string Speaker(int s) => $"{s:x8}";

    /// <summary>Relative path of word <paramref name="w"/>, speaker <paramref name="s"/>.</summary>
    public static string ClipPath(string w, int s) => $"{w}/{Speaker(s)}_nohash_0.wav";

    /// <summary>Tone frequency used for word number <paramref name="wordIndex"/>.</summary>
    public static double WordFrequency(int wordIndex) => 300 + 150 * wordIndex;

    /// <summary>Writes the tree under <paramref name="root"/>: each clip is a tone whose frequency identifies the word;
    /// odd speakers' clips are 0.75 s long. Speaker 0 is listed in testing_list.txt, speaker 1 in validation_list.txt.</summary>
    public static void Make(string root, Spec? spec = null)
    {
        spec ??= new Spec();
        Directory.CreateDirectory(root);
        var val = new List<string>();
        var test = new List<string>();
        for (int w = 0; w < spec.Words.Count; w++)
        {
            for (int s = 0; s < spec.SpeakersPerWord; s++)
            {
                int len = s % 2 == 1 ? spec.ClipSamples * 3 / 4 : spec.ClipSamples;
                var samples = WavFixtures.Tone(WordFrequency(w), len, amplitude: 0.3 + 0.05 * s, phase: s);
                string rel = ClipPath(spec.Words[w], s);
                WavFixtures.Write(Path.Combine(root, rel), samples, new WavFixtures.WavSpec { ListChunkBeforeData = s == 2 });
                if (s == 0) test.Add(rel);
                else if (s == 1) val.Add(rel);
            }
        }
        string noiseDir = Path.Combine(root, "_background_noise_");
        Directory.CreateDirectory(noiseDir);
        for (int n = 0; n < spec.NoiseFiles; n++)
            WavFixtures.Write(Path.Combine(noiseDir, $"noise_{n}.wav"), WavFixtures.Noise(spec.NoiseSamples, 0.5, 100 + n));
        File.WriteAllText(Path.Combine(noiseDir, "README.md"), "synthetic noise\n");
        File.WriteAllText(Path.Combine(root, "validation_list.txt"), string.Join("\n", val) + "\n");
        File.WriteAllText(Path.Combine(root, "testing_list.txt"), string.Join("\n", test) + "\n");
        File.WriteAllText(Path.Combine(root, "LICENSE"), "synthetic fixture\n");
    }

    /// <summary>The bytes of a speech_commands_v0.02.tar.gz-shaped archive (entries prefixed with "./").</summary>
    public static byte[] MakeArchive(Spec? spec = null)
    {
        string tmp = TestPaths.NewTempDir();
        try
        {
            Make(tmp, spec);
            return TarGzFixtures.PackDirectory(tmp, "./");
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }
}
