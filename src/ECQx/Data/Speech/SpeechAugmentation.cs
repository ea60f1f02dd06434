using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Speech;

/// <summary>
/// Time-domain augmentation of 1-second clips, batched with tensor ops (defaults as in TensorFlow's
/// speech_commands example): a random time shift in <c>[−TimeShiftSamples, +TimeShiftSamples]</c> with zero fill,
/// then, with probability <see cref="BackgroundFrequency"/>, a random crop of a random background-noise recording
/// added at a volume uniform in <c>[0, BackgroundVolume]</c>; silence examples always get noise at a volume uniform in
/// <c>[0, SilenceVolume]</c>. The sum is clamped to [−1, 1].
/// </summary>
public sealed record SpeechAugmentation
{
    /// <summary>No shift and no noise on words; silence still gets noise (used for evaluation splits).</summary>
    public static SpeechAugmentation EvaluationSilenceOnly { get; } = new() { TimeShiftSamples = 0, BackgroundFrequency = 0 };

    /// <summary>Maximum absolute time shift in samples (1600 = 100 ms).</summary>
    public int TimeShiftSamples { get; init; } = 1600;

    /// <summary>Probability that a word example gets background noise.</summary>
    public double BackgroundFrequency { get; init; } = 0.8;

    /// <summary>Upper bound of the noise volume for word examples.</summary>
    public double BackgroundVolume { get; init; } = 0.1;

    /// <summary>Upper bound of the noise volume for silence examples.</summary>
    public double SilenceVolume { get; init; } = 1.0;

    /// <summary>Throws an <see cref="ArgumentException"/> naming a bad value.</summary>
    public void Validate()
    {
        if (TimeShiftSamples < 0) throw new ArgumentException($"TimeShiftSamples must be non-negative, got {TimeShiftSamples}.");
        if (!(BackgroundFrequency >= 0 && BackgroundFrequency <= 1)) throw new ArgumentException($"BackgroundFrequency must be in [0, 1], got {BackgroundFrequency}.");
        if (!(BackgroundVolume >= 0) || double.IsInfinity(BackgroundVolume)) throw new ArgumentException($"BackgroundVolume must be non-negative, got {BackgroundVolume}.");
        if (!(SilenceVolume >= 0) || double.IsInfinity(SilenceVolume)) throw new ArgumentException($"SilenceVolume must be non-negative, got {SilenceVolume}.");
    }

    /// <summary>
    /// Augments <paramref name="clips"/> (<c>[B, T]</c> float in [−1, 1]); <paramref name="isSilence"/> (bool <c>[B]</c>)
    /// marks silence examples; <paramref name="noise"/> supplies recordings (may be empty: then no noise is added).
    /// Random numbers come from <paramref name="generator"/> on CPU, in a fixed order per batch: shifts, noise choice,
    /// noise offsets, noise gate, volumes.
    /// </summary>
    public Tensor Apply(Tensor clips, Tensor isSilence, BackgroundNoise noise, Generator generator)
    {
        Validate();
        using var scope = NewDisposeScope();
        long b = clips.shape[0], t = clips.shape[1];
        var dev = clips.device;
        var x = clips;
        var shifts = randint(-TimeShiftSamples, TimeShiftSamples + 1L, new[] { b }, dtype: int64, generator: generator);
        var choice = rand(new[] { b }, dtype: float64, generator: generator);
        var offsetU = rand(new[] { b }, dtype: float64, generator: generator);
        var gate = rand(new[] { b }, dtype: float64, generator: generator);
        var volU = rand(new[] { b }, dtype: float64, generator: generator);
        if (TimeShiftSamples > 0) x = Shift(x, shifts.to(dev));
        if (noise.Count > 0)
        {
            var crops = noise.Crops(choice, offsetU, t).to(dev);                       // [B, T]
            var silence = isSilence.to(ScalarType.Bool).cpu();
            var wordVolume = where(gate.lt(BackgroundFrequency), volU * BackgroundVolume, zeros_like(volU));
            var volume = where(silence, volU * SilenceVolume, wordVolume).to(float32).to(dev).unsqueeze(1);
            x = (x + crops * volume).clamp(-1f, 1f);
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Shifts each row of <paramref name="clips"/> right by <paramref name="shifts"/>[i] samples (left when
    /// negative), filling with zeros: <c>out[i, t] = clips[i, t − shift_i]</c> where that index is valid.</summary>
    public static Tensor Shift(Tensor clips, Tensor shifts)
    {
        using var scope = NewDisposeScope();
        long t = clips.shape[1];
        var idx = arange(t, dtype: int64, device: clips.device).unsqueeze(0) - shifts.to(int64).to(clips.device).unsqueeze(1);
        var valid = idx.ge(0).logical_and(idx.lt(t));
        var gathered = clips.gather(1, idx.clamp(0, t - 1));
        return where(valid, gathered, zeros_like(gathered)).MoveToOuterDisposeScope();
    }
}
