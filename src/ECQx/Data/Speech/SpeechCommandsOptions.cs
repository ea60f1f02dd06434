using TorchSharp;

namespace ECQx.Data.Speech;

/// <summary>Options for <see cref="SpeechCommands.Load"/>.</summary>
public sealed record SpeechCommandsOptions
{
    /// <summary>12-class keyword spotting (default) or all words.</summary>
    public SpeechCommandsTask Task { get; init; } = SpeechCommandsTask.Keywords12;

    /// <summary>Batch size of every split.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Seed for the unknown/silence selection, shuffling, augmentation and evaluation silence.</summary>
    public ulong Seed { get; init; }

    /// <summary>Device of the yielded batches and of the MFCC computation (CPU when null).</summary>
    public torch.Device? Device { get; init; }

    /// <summary>Drop the last incomplete training batch.</summary>
    public bool DropLast { get; init; }

    /// <summary>Sample rate every WAV must have.</summary>
    public int SampleRate { get; init; } = 16_000;

    /// <summary>Clip length: shorter clips are zero-padded at the end, longer ones cut (1 s at 16 kHz).</summary>
    public int ClipSamples { get; init; } = 16_000;

    /// <summary>MFCC parameters.</summary>
    public MfccOptions Mfcc { get; init; } = new();

    /// <summary>12-class task: silence examples per split, as a percentage of the split's keyword examples (rounded up).</summary>
    public double SilencePercentage { get; init; } = 10;

    /// <summary>12-class task: unknown-word examples per split, as a percentage of the split's keyword examples (rounded up).</summary>
    public double UnknownPercentage { get; init; } = 10;

    /// <summary>Training augmentation (time shift and noise, recomputed every epoch); null trains on fixed features.</summary>
    public SpeechAugmentation? TrainAugmentation { get; init; } = new();

    /// <summary>Silence volume bound used for the fixed noise of evaluation silence examples.</summary>
    public double EvaluationSilenceVolume { get; init; } = 1.0;

    /// <summary>Cache precomputed features on disk (evaluation splits, and training without augmentation).</summary>
    public bool UseFeatureCache { get; init; } = true;

    /// <summary>Cache folder; null uses <c>&lt;data directory&gt;/features</c> (see <see cref="Download.DataDirectory"/>).</summary>
    public string? FeatureCacheDirectory { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming a bad value.</summary>
    public void Validate()
    {
        Mfcc.Validate();
        TrainAugmentation?.Validate();
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {BatchSize}.");
        if (SampleRate != Mfcc.SampleRate) throw new ArgumentException($"SampleRate {SampleRate} differs from Mfcc.SampleRate {Mfcc.SampleRate}.");
        if (ClipSamples < Mfcc.WindowLength) throw new ArgumentException($"ClipSamples {ClipSamples} is shorter than one MFCC window ({Mfcc.WindowLength}).");
        if (!(SilencePercentage >= 0) || !(UnknownPercentage >= 0) || double.IsInfinity(SilencePercentage) || double.IsInfinity(UnknownPercentage))
            throw new ArgumentException($"SilencePercentage and UnknownPercentage must be non-negative, got {SilencePercentage} and {UnknownPercentage}.");
        if (!(EvaluationSilenceVolume >= 0)) throw new ArgumentException($"EvaluationSilenceVolume must be non-negative, got {EvaluationSilenceVolume}.");
    }
}
