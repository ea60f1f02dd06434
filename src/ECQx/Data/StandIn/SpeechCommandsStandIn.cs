using ECQx.Data.Speech;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.StandIn;

/// <summary>
/// Writes a small synthetic Google Speech Commands tree (word folders of 1 s, 16 kHz WAVs, <c>_background_noise_</c>,
/// <c>validation_list.txt</c> and <c>testing_list.txt</c>) that <see cref="SpeechCommands.Load"/> reads like the real
/// archive. Every word is a pair of tones ("formants") whose frequencies identify it, under a Gaussian envelope at a
/// random onset, with random pitch jitter, loudness and background hiss, so the 12-class task is learnable but not
/// trivial. Deterministic for a seed. The folder carries the <see cref="StandInData.MarkerFileName"/> marker.
/// </summary>
public static class SpeechCommandsStandIn
{
    /// <summary>The non-keyword words of the stand-in (they become the <c>_unknown_</c> class).</summary>
    public static IReadOnlyList<string> UnknownWords { get; } = new[] { "bed", "cat" };

    /// <summary>Sample rate of every clip.</summary>
    public const int SampleRate = 16_000;

    /// <summary>
    /// The two tone frequencies (Hz) of word number <paramref name="wordIndex"/> (the ten keywords first, then
    /// <see cref="UnknownWords"/>): 250 + 90·i and 1200 + 210·i, both below the MFCC's 4 kHz upper band edge.
    /// </summary>
    public static (double Low, double High) Formants(int wordIndex) => (250 + 90.0 * wordIndex, 1200 + 210.0 * wordIndex);

    /// <summary>
    /// Writes the tree under <paramref name="root"/> (created if needed) and returns <paramref name="root"/>.
    /// <paramref name="clipsPerWord"/> clips per word; of every six, one goes to the testing list and one to the
    /// validation list. An existing stand-in with the same parameters is left as it is.
    /// </summary>
    public static string Write(string root, long seed = 808, int clipsPerWord = 24)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (clipsPerWord < 6) throw new ArgumentOutOfRangeException(nameof(clipsPerWord), clipsPerWord, "need at least 6 clips per word (one test, one validation, four training)");
        string description = $"Speech Commands stand-in: seed {seed}, {clipsPerWord} clips per word, words {string.Join(",", SpeechCommandsClasses.Keywords.Concat(UnknownWords))}";
        string marker = Path.Combine(root, StandInData.MarkerFileName);
        if (File.Exists(marker) && File.ReadAllText(marker).Contains(description, StringComparison.Ordinal)) return root;
        TorchRuntime.EnsureLoaded();
        Directory.CreateDirectory(root);
        File.Delete(marker); // an interrupted rewrite must not look complete
        var words = SpeechCommandsClasses.Keywords.Concat(UnknownWords).ToList();
        var validation = new List<string>();
        var testing = new List<string>();
        using var gen = new Generator(unchecked((ulong)seed));
        for (int w = 0; w < words.Count; w++)
        {
            using var scope = NewDisposeScope();
            var clips = Utterances(Formants(w), clipsPerWord, gen);
            for (int i = 0; i < clipsPerWord; i++)
            {
                string rel = $"{words[w]}/{(uint)(seed * 7919 + w * 104729 + i * 1299709):x8}_nohash_0.wav";
                WriteClip(Path.Combine(root, rel), ToPcm(clips[i]));
                if (i % 6 == 0) testing.Add(rel);
                else if (i % 6 == 1) validation.Add(rel);
            }
        }
        using (var scope = NewDisposeScope())
        {
            for (int n = 0; n < 2; n++)
                WriteClip(Path.Combine(root, SpeechCommandsLayout.BackgroundNoiseFolder, $"stand_in_noise_{n}.wav"),
                    ToPcm(randn(new long[] { 3 * SampleRate }, generator: gen).mul(0.2).clamp(-1, 1)));
        }
        IO.AtomicFile.WriteAllText(Path.Combine(root, SpeechCommandsLayout.ValidationList), string.Join("\n", validation) + "\n");
        IO.AtomicFile.WriteAllText(Path.Combine(root, SpeechCommandsLayout.TestingList), string.Join("\n", testing) + "\n");
        StandInData.WriteMarker(root, description);
        return root;
    }

    /// <summary>
    /// <paramref name="count"/> one-second clips [count, 16000] of one word: two tones at the word's formants (±4 %
    /// jitter per clip), a Gaussian envelope of σ 0.08–0.14 s centred at 0.3–0.7 s, peak 0.2–0.6, plus hiss of σ 0.02.
    /// </summary>
    public static Tensor Utterances((double Low, double High) formants, int count, Generator generator)
    {
        using var scope = NewDisposeScope();
        Tensor U(double lo, double hi) => rand(new long[] { count, 1 }, dtype: float64, generator: generator).mul(hi - lo).add(lo);
        var t = arange(SampleRate, dtype: float64).div(SampleRate).unsqueeze(0);            // [1, T] seconds
        var jitter = U(0.96, 1.04);
        var centre = U(0.3, 0.7);
        var width = U(0.08, 0.14);
        var peak = U(0.2, 0.6);
        var envelope = t.sub(centre).div(width).pow(2).mul(-0.5).exp().mul(peak);
        var tones = t.mul(2 * Math.PI * formants.Low).mul(jitter).sin().add(t.mul(2 * Math.PI * formants.High).mul(jitter).sin().mul(0.6));
        var hiss = randn(new long[] { count, SampleRate }, dtype: float64, generator: generator).mul(0.02);
        return envelope.mul(tones).add(hiss).clamp(-1, 1).to_type(float32).MoveToOuterDisposeScope();
    }

    /// <summary>Plain (not atomic) writes: the marker, written last, is what marks the tree complete.</summary>
    private static void WriteClip(string path, short[] samples)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, WavWriter.Encode(samples, SampleRate));
    }

    private static short[] ToPcm(Tensor samples)
    {
        using var scope = NewDisposeScope();
        return samples.mul(32767).round().clamp(-32768, 32767).to_type(int16).cpu().data<short>().ToArray();
    }
}
