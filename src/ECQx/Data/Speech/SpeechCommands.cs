using TorchSharp;

namespace ECQx.Data.Speech;

/// <summary>
/// Google Speech Commands (v0.01 or v0.02) as MFCC classification data: train / validation / test splits from the
/// official list files, the 12-class keyword task or the all-words task, MFCC features (<see cref="Mfcc"/>),
/// training augmentation (<see cref="SpeechAugmentation"/>), and an on-disk feature cache.
/// </summary>
/// <remarks>
/// 12-class task, per split (as in TensorFlow's speech_commands example): every keyword utterance; unknown
/// examples drawn without replacement (seeded) from the split's other words, <c>⌈UnknownPercentage% · #keywords⌉</c>
/// of them; and <c>⌈SilencePercentage% · #keywords⌉</c> silence examples. Silence is an all-zero clip plus background
/// noise: fresh random noise each epoch in training, a fixed seeded noise crop (volume uniform in
/// [0, EvaluationSilenceVolume]) in validation and test. Examples are ordered keywords, unknowns (each by path),
/// then silence. <see cref="Load"/> validates up front: the list files (<see cref="SpeechCommandsLayout.Scan"/>) and the
/// WAV headers of every clip used (<see cref="CheckClipHeaders"/>).
/// </remarks>
public static class SpeechCommands
{
    /// <summary>Loads the dataset rooted at <paramref name="directory"/> (see <see cref="Download.DatasetStore"/> to obtain it).</summary>
    public static DatasetSplits Load(string directory, SpeechCommandsOptions? options = null)
    {
        options ??= new SpeechCommandsOptions();
        options.Validate();
        TorchRuntime.EnsureLoaded();
        var layout = SpeechCommandsLayout.Scan(directory);
        var classes = ClassNames(layout, options.Task);
        var noise = BackgroundNoise.Load(layout.NoiseFiles, options.SampleRate, options.ClipSamples);
        bool augment = options.TrainAugmentation is not null;
        SpeechCommandsBatchSource? train = null, validation = null, test = null;
        try
        {
            var validationExamples = SelectExamples(layout.Validation, layout, options, 1);
            var testExamples = SelectExamples(layout.Test, layout, options, 2);
            var trainExamples = SelectExamples(layout.Train, layout, options, 0);
            CheckClipHeaders(layout, trainExamples.Concat(validationExamples).Concat(testExamples), options.SampleRate);
            var common = new BatchOptions { BatchSize = options.BatchSize, Seed = options.Seed, Device = options.Device };
            validation = new SpeechCommandsBatchSource("validation", layout, validationExamples, classes, options, common, noise, augment: false);
            test = new SpeechCommandsBatchSource("test", layout, testExamples, classes, options, common, noise, augment: false);
            train = new SpeechCommandsBatchSource("train", layout, trainExamples, classes,
                options, common with { Shuffle = true, DropLast = options.DropLast }, noise, augment);
        }
        catch
        {
            train?.Dispose();
            validation?.Dispose();
            test?.Dispose();
            noise.Dispose();
            throw;
        }
        if (!augment) noise.Dispose();
        return new DatasetSplits(options.Task == SpeechCommandsTask.Keywords12 ? "speech_commands_12" : "speech_commands_all", train, test, validation)
        {
            Fingerprint = Fingerprint(layout, (train, validation, test)),
        };
    }

    /// <summary>
    /// The content fingerprint of the splits: every example's split, relative path, file size and label, and the
    /// background-noise files' names and sizes (hashing every WAV's bytes would read the whole dataset on each load).
    /// </summary>
    private static string Fingerprint(SpeechCommandsLayout layout, (SpeechCommandsBatchSource Train, SpeechCommandsBatchSource Validation, SpeechCommandsBatchSource Test) splits)
    {
        using var f = new DataFingerprint();
        foreach (var split in new[] { splits.Train, splits.Validation, splits.Test })
            foreach (var e in split.Examples)
                f.Add(e.RelativePath is null
                    ? $"{split.Split}|silence|{e.Label}"
                    : $"{split.Split}|{e.RelativePath}|{new FileInfo(layout.FullPath(new SpeechClip(e.RelativePath, ""))).Length}|{e.Label}");
        foreach (string noise in layout.NoiseFiles)
            f.Add($"noise|{Path.GetFileName(noise)}|{new FileInfo(noise).Length}");
        return f.Finish();
    }

    /// <summary>
    /// Checks the chunk headers of every clip an example uses (<see cref="WavReader.ReadLayout"/>: format, rate, chunk
    /// sizes; not the samples), so that a broken WAV is reported when the data is loaded, not epochs into training
    /// when augmentation first reads it. Costs one small read per file.
    /// </summary>
    public static void CheckClipHeaders(SpeechCommandsLayout layout, IEnumerable<SpeechExample> examples, int sampleRate)
    {
        foreach (var ex in examples)
            if (!ex.IsSilence) WavReader.ReadLayout(layout.FullPath(new SpeechClip(ex.RelativePath!, "")), sampleRate);
    }

    /// <summary>Class names of a task for a scanned layout.</summary>
    public static IReadOnlyList<string> ClassNames(SpeechCommandsLayout layout, SpeechCommandsTask task) =>
        task == SpeechCommandsTask.Keywords12 ? SpeechCommandsClasses.Keywords12 : layout.Words;

    /// <summary>The labelled examples of one split (see the class remarks); <paramref name="splitId"/> separates the
    /// unknown-word draws of different splits.</summary>
    public static IReadOnlyList<SpeechExample> SelectExamples(IReadOnlyList<SpeechClip> clips, SpeechCommandsLayout layout,
        SpeechCommandsOptions options, int splitId)
    {
        if (options.Task == SpeechCommandsTask.AllWords)
        {
            var index = layout.Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
            return clips.Select(c => new SpeechExample(c.RelativePath, index[c.Word])).ToList();
        }
        var keywordIndex = SpeechCommandsClasses.Keywords.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        int silenceLabel = SpeechCommandsClasses.Keywords.Count, unknownLabel = silenceLabel + 1;
        var result = clips.Where(c => keywordIndex.ContainsKey(c.Word)).Select(c => new SpeechExample(c.RelativePath, keywordIndex[c.Word])).ToList();
        int known = result.Count;
        var pool = clips.Where(c => !keywordIndex.ContainsKey(c.Word)).ToList();
        int unknownCount = Math.Min(pool.Count, (int)Math.Ceiling(known * options.UnknownPercentage / 100.0));
        if (unknownCount > 0)
        {
            using var gen = EpochSeeds.Generator(options.Seed, -1000 - splitId, EpochSeeds.ShuffleStream);
            using var perm = torch.randperm(pool.Count, dtype: torch.int64, generator: gen);
            var chosen = perm.data<long>().Take(unknownCount).Select(i => pool[(int)i]).OrderBy(c => c.RelativePath, StringComparer.Ordinal);
            result.AddRange(chosen.Select(c => new SpeechExample(c.RelativePath, unknownLabel)));
        }
        int silenceCount = (int)Math.Ceiling(known * options.SilencePercentage / 100.0);
        for (int i = 0; i < silenceCount; i++) result.Add(new SpeechExample(null, silenceLabel));
        return result;
    }
}
