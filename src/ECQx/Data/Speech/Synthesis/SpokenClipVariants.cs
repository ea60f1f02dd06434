using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Speech.Synthesis;

/// <summary>
/// Turns one synthesized utterance into several one-second clips, as different takes of the same speaker: trimmed of its
/// silent ends, resampled to 16 kHz at a random speed (which also moves the pitch and formants), scaled to a random peak level,
/// placed near the clip's centre with a random shift, and mixed with a random crop of background noise. Also makes the background noise recordings.
/// </summary>
public static class SpokenClipVariants
{
    /// <summary>Speed factors are uniform in [1 − SpeedSpread, 1 + SpeedSpread].</summary>
    public const double SpeedSpread = 0.2;

    /// <summary>The word's centre is placed uniformly within ± this many seconds of the clip's centre (less when the word
    /// fills the clip).</summary>
    public const double MaxShiftSeconds = 0.15;

    /// <summary>Peak levels are uniform in [MinPeak, MaxPeak] (full scale 1).</summary>
    public const double MinPeak = 0.2, MaxPeak = 0.9;

    /// <summary>Noise RMS relative to the peak level is uniform in [0, MaxNoiseToPeak] (≥ about 12 dB SNR).</summary>
    public const double MaxNoiseToPeak = 0.06;

    /// <summary>Samples below this fraction of the peak at the start and end of an utterance count as silence and are trimmed.</summary>
    public const double TrimThreshold = 0.02;

    /// <summary>
    /// <paramref name="count"/> clips <c>[count, clipSamples]</c> (float32 in [−1, 1], 16 kHz) from <paramref name="utterance"/>
    /// (16-bit samples at <paramref name="sourceRate"/>); see the class remarks. Deterministic for the generator's state.
    /// </summary>
    public static Tensor Derive(short[] utterance, int sourceRate, int count, BackgroundNoise noise, Generator generator,
        int sampleRate = 16_000, int clipSamples = 16_000)
    {
        ArgumentNullException.ThrowIfNull(utterance);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "need at least one clip");
        if (sourceRate <= 0) throw new ArgumentOutOfRangeException(nameof(sourceRate), sourceRate, "sample rate must be positive");
        using var scope = NewDisposeScope();
        var x = Trim(tensor(utterance, dtype: int16).to(float32).div(32768f));
        long n = x.shape[0];
        if (n < 2) throw new ArgumentException("the utterance is silent (nothing above the trim threshold)", nameof(utterance));
        Tensor U(double lo, double hi) => rand(new long[] { count, 1 }, dtype: float64, generator: generator).mul(hi - lo).add(lo);
        var speed = U(1 - SpeedSpread, 1 + SpeedSpread);
        var step = speed.mul((double)sourceRate / sampleRate);                      // source samples per output sample
        var length = step.reciprocal().mul(n);                                      // output samples the word lasts
        var room = length.neg().add(clipSamples);                                   // < 0: the word is longer than the clip
        // Centred, as the words of the real recordings roughly are, ± up to MaxShiftSeconds (less when the word fills the clip).
        var jitter = room.abs().div(2).clamp_max(MaxShiftSeconds * sampleRate);
        var offset = room.div(2).add(jitter.mul(U(-1, 1)));
        var t = arange(clipSamples, dtype: float64).unsqueeze(0);
        var pos = t.sub(offset).mul(step);                                          // [count, T] source positions
        var valid = pos.ge(0).logical_and(pos.le(n - 1));
        var i0 = pos.floor().clamp(0, n - 2).to(int64);
        var frac = pos.sub(i0.to(float64)).clamp(0, 1).to(float32);
        var left = x.index_select(0, i0.flatten()).view(count, clipSamples);
        var right = x.index_select(0, i0.add(1).flatten()).view(count, clipSamples);
        var speech = left.add(right.sub(left).mul(frac)).mul(valid.to(float32));
        var peak = speech.abs().amax(new long[] { 1 }, keepdim: true).clamp_min(1e-6);
        var level = U(MinPeak, MaxPeak).to(float32);
        speech = speech.div(peak).mul(level);
        if (noise.Count > 0)
        {
            var crops = noise.Crops(rand(count, dtype: float64, generator: generator), rand(count, dtype: float64, generator: generator), clipSamples);
            var rms = crops.pow(2).mean(new long[] { 1 }, keepdim: true).sqrt().clamp_min(1e-6);
            speech = speech.add(crops.div(rms).mul(level).mul(U(0, MaxNoiseToPeak).to(float32)));
        }
        return speech.clamp(-1, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Float samples to 16-bit PCM (rounded, saturated).</summary>
    public static short[] ToPcm16(Tensor samples)
    {
        using var scope = NewDisposeScope();
        return samples.mul(32767).round().clamp(-32768, 32767).to(int16).cpu().contiguous().data<short>().ToArray();
    }

    /// <summary>The names of the background noise recordings <see cref="NoiseRecording"/> makes, in order.</summary>
    public static IReadOnlyList<string> NoiseKinds { get; } = new[] { "white_noise", "pink_noise", "brown_noise", "hum", "babble_like" };

    /// <summary>
    /// A noise recording of <paramref name="samples"/> samples at 16 kHz with RMS 0.1: white (flat spectrum), pink (power ∝ 1/f),
    /// brown (∝ 1/f²), mains hum (50 Hz and its harmonics over faint white noise), or "babble-like" (speech-band pink noise
    /// modulated at syllable rate, 4 Hz).
    /// </summary>
    public static Tensor NoiseRecording(string kind, long samples, Generator generator, int sampleRate = 16_000)
    {
        using var scope = NewDisposeScope();
        var white = randn(samples, dtype: float64, generator: generator);
        var f = fft.rfftfreq(samples, 1.0 / sampleRate, dtype: float64).clamp_min(20);
        Tensor Shaped(Tensor gain) => fft.irfft(fft.rfft(white).mul(gain), samples);
        var t = arange(samples, dtype: float64).div(sampleRate);
        Tensor y = kind switch
        {
            "white_noise" => white,
            "pink_noise" => Shaped(f.rsqrt()),
            "brown_noise" => Shaped(f.reciprocal()),
            "hum" => t.mul(2 * Math.PI * 50).sin().add(t.mul(2 * Math.PI * 100).sin().mul(0.5)).add(t.mul(2 * Math.PI * 150).sin().mul(0.25)).add(white.mul(0.05)),
            "babble_like" => Shaped(f.rsqrt().mul(f.lt(4000).to(float64))).mul(t.mul(2 * Math.PI * 4).sin().abs().add(0.2)),
            _ => throw new ArgumentException($"unknown noise kind '{kind}' (known: {string.Join(", ", NoiseKinds)})", nameof(kind)),
        };
        y = y.sub(y.mean());
        return y.div(y.pow(2).mean().sqrt()).mul(0.1).clamp(-1, 1).to(float32).MoveToOuterDisposeScope();
    }

    private static Tensor Trim(Tensor x)
    {
        var loud = x.abs().ge(x.abs().max().item<float>() * TrimThreshold).nonzero();
        if (loud.shape[0] == 0) return x.narrow(0, 0, 0);
        long first = loud[0, 0].item<long>(), last = loud[-1, 0].item<long>();
        return x.narrow(0, first, last - first + 1);
    }
}
