using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Speech;

/// <summary>
/// Mel-frequency cepstral coefficients of a batch of waveforms, computed with tensor ops on one device:
/// <list type="number">
/// <item>Short-time spectrum: <c>torch.stft</c> with a Hann window, no centre padding (see
/// <see cref="MfccOptions"/> for the framing), one-sided; <c>|X|^Power</c> (power spectrum by default).</item>
/// <item>Mel filterbank: <see cref="MfccOptions.MelBands"/> triangular filters whose corner points are equally
/// spaced on the HTK mel scale <c>mel(f) = 2595·log10(1 + f/700)</c> between the lower and upper frequency;
/// filter <c>m</c> rises linearly in mel from corner <c>m</c> to 1 at corner <c>m+1</c> and falls to 0 at corner
/// <c>m+2</c>, evaluated at each DFT bin's frequency <c>k·SampleRate/FftLength</c> (HTK style: weights linear in
/// mel, peak 1, no area normalisation).</item>
/// <item>Natural log of <c>max(energy, LogFloor)</c>.</item>
/// <item>Orthonormal DCT-II over the mel axis, <c>c_k = s_k Σ_m x_m cos(π k (m + ½)/M)</c> with
/// <c>s_0 = √(1/M)</c>, <c>s_k = √(2/M)</c>; the first <see cref="MfccOptions.Coefficients"/> are kept.</item>
/// </list>
/// Output <c>[B, frames, coefficients]</c> float32 (49×10 for 1-second 16 kHz clips with the defaults).
/// </summary>
public sealed class Mfcc : IDisposable
{
    private readonly Tensor _window;

    /// <summary>Precomputes the window, filterbank and DCT on <paramref name="device"/> (CPU when null).</summary>
    public Mfcc(MfccOptions? options = null, Device? device = null)
    {
        Options = options ?? new MfccOptions();
        Options.Validate();
        TorchRuntime.EnsureLoaded();
        Device = device ?? CPU;
        _window = hann_window(Options.WindowLength, periodic: Options.PeriodicWindow, dtype: float32, device: Device).DetachFromDisposeScope();
        MelFilterbank = BuildFilterbank(Options, Device).DetachFromDisposeScope();
        DctMatrix = Dct2Orthonormal(Options.MelBands, Device).DetachFromDisposeScope();
    }

    /// <summary>The options.</summary>
    public MfccOptions Options { get; }

    /// <summary>The device of all computations.</summary>
    public Device Device { get; }

    /// <summary>Filterbank weights <c>[MelBands, FrequencyBins]</c>.</summary>
    public Tensor MelFilterbank { get; }

    /// <summary>Full orthonormal DCT-II matrix <c>[MelBands, MelBands]</c> (row k = basis vector k).</summary>
    public Tensor DctMatrix { get; }

    /// <summary>HTK mel scale: <c>2595·log10(1 + hz/700)</c>.</summary>
    public static double HzToMel(double hz) => 2595.0 * Math.Log10(1.0 + hz / 700.0);

    /// <summary>Inverse of <see cref="HzToMel"/>.</summary>
    public static double MelToHz(double mel) => 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0);

    /// <summary>Centre frequency in Hz of mel filter <paramref name="band"/> (its peak).</summary>
    public double CenterFrequency(int band)
    {
        double lo = HzToMel(Options.LowerFrequency), hi = HzToMel(Options.UpperFrequency);
        return MelToHz(lo + (band + 1) * (hi - lo) / (Options.MelBands + 1));
    }

    /// <summary>One-sided spectrum <c>|X|^Power</c> as <c>[B, frames, FrequencyBins]</c> of waveforms <c>[B, samples]</c>.</summary>
    public Tensor Spectrogram(Tensor waveforms)
    {
        using var scope = NewDisposeScope();
        var w = CheckInput(waveforms);
        var x = w.to(float32).to(Device);
        Tensor spec;
        if (Options.EffectiveFftLength == Options.WindowLength)
        {
            spec = stft(x, Options.WindowLength, Options.HopLength, Options.WindowLength, _window,
                center: false, normalized: false, onesided: true, return_complex: true).transpose(1, 2); // [B, frames, bins]
        }
        else
        {
            var frames = x.unfold(1, Options.WindowLength, Options.HopLength) * _window; // [B, frames, win]
            spec = fft.rfft(frames, Options.EffectiveFftLength, dim: -1);
        }
        var mag = spec.abs();
        var result = Options.Power == 1.0 ? mag : mag.pow(Options.Power);
        return result.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Mel filter energies <c>[B, frames, MelBands]</c> (before the log).</summary>
    public Tensor MelEnergies(Tensor waveforms)
    {
        using var scope = NewDisposeScope();
        var spec = Spectrogram(waveforms);
        return matmul(spec, MelFilterbank.t()).MoveToOuterDisposeScope();
    }

    /// <summary>MFCCs <c>[B, frames, Coefficients]</c> of waveforms <c>[B, samples]</c> (a 1-D waveform is treated as B = 1).</summary>
    public Tensor Compute(Tensor waveforms)
    {
        using var scope = NewDisposeScope();
        var mel = MelEnergies(waveforms);
        var logMel = mel.clamp_min(Options.LogFloor).log();
        var basis = DctMatrix.narrow(0, 0, Options.Coefficients); // [C, M]
        return matmul(logMel, basis.t()).MoveToOuterDisposeScope();
    }

    /// <summary>The orthonormal DCT-II matrix of size <paramref name="n"/> (rows are basis vectors).</summary>
    public static Tensor Dct2Orthonormal(int n, Device? device = null)
    {
        if (n < 1) throw new ArgumentException($"DCT size must be positive, got {n}.");
        using var scope = NewDisposeScope();
        var k = arange(n, dtype: float64, device: device).unsqueeze(1);
        var m = arange(n, dtype: float64, device: device).unsqueeze(0);
        var basis = cos(k * (m + 0.5) * (Math.PI / n)) * Math.Sqrt(2.0 / n);
        basis[0] = basis[0] * Math.Sqrt(0.5);
        return basis.to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>The HTK-mel triangular filterbank <c>[MelBands, FrequencyBins]</c> (see the class summary).</summary>
    public static Tensor BuildFilterbank(MfccOptions o, Device? device = null)
    {
        o.Validate();
        using var scope = NewDisposeScope();
        int bins = o.FrequencyBins;
        var hz = arange(bins, dtype: float64, device: device) * ((double)o.SampleRate / o.EffectiveFftLength);
        var mel = (hz / 700.0 + 1.0).log10() * 2595.0;                          // [bins]
        double lo = HzToMel(o.LowerFrequency), hi = HzToMel(o.UpperFrequency);
        var corners = linspace(lo, hi, o.MelBands + 2, dtype: float64, device: device); // [M+2]
        var left = corners.narrow(0, 0, o.MelBands).unsqueeze(1);
        var centre = corners.narrow(0, 1, o.MelBands).unsqueeze(1);
        var right = corners.narrow(0, 2, o.MelBands).unsqueeze(1);
        var m = mel.unsqueeze(0);
        var rising = (m - left) / (centre - left);
        var falling = (right - m) / (right - centre);
        var w = minimum(rising, falling).clamp_min(0.0);
        return w.to(float32).MoveToOuterDisposeScope();
    }

    private Tensor CheckInput(Tensor waveforms)
    {
        ArgumentNullException.ThrowIfNull(waveforms);
        var w = waveforms.dim() == 1 ? waveforms.unsqueeze(0) : waveforms;
        if (w.dim() != 2) throw new ArgumentException($"waveforms must be [B, samples], got [{string.Join(", ", waveforms.shape)}].");
        if (w.shape[1] < Options.WindowLength)
            throw new ArgumentException($"waveforms have {w.shape[1]} samples, fewer than one {Options.WindowLength}-sample window.");
        return w;
    }

    /// <summary>Disposes the precomputed tensors.</summary>
    public void Dispose()
    {
        _window.Dispose();
        MelFilterbank.Dispose();
        DctMatrix.Dispose();
    }
}
