namespace ECQx.Data.Speech;

/// <summary>
/// Parameters of <see cref="Mfcc"/>. Defaults follow the common keyword-spotting setup (TensorFlow
/// speech_commands / "Hello Edge"): 16 kHz, 40 ms windows (640 samples), 20 ms hop (320), 40 mel bands between
/// 20 Hz and 4 kHz, 10 coefficients, giving 49×10 features per 1-second clip. (Spec §e marks the paper's exact MFCC
/// settings as unverified; every value is an option.)
/// </summary>
/// <remarks>
/// Framing: no centre padding; frame <c>t</c> covers samples <c>[t·Hop, t·Hop + Window)</c>, so a clip of
/// <c>N</c> samples has <c>1 + ⌊(N − Window)/Hop⌋</c> frames: <c>1 + (16000 − 640)/320 = 49</c>.
/// </remarks>
public sealed record MfccOptions
{
    /// <summary>Sample rate in Hz.</summary>
    public int SampleRate { get; init; } = 16_000;

    /// <summary>Window length in samples (640 = 40 ms at 16 kHz).</summary>
    public int WindowLength { get; init; } = 640;

    /// <summary>Hop between frames in samples (320 = 20 ms).</summary>
    public int HopLength { get; init; } = 320;

    /// <summary>DFT size; null means equal to <see cref="WindowLength"/> (then <c>torch.stft</c> is used directly).
    /// A larger value zero-pads each windowed frame at its end before the DFT.</summary>
    public int? FftLength { get; init; }

    /// <summary>Number of triangular mel filters.</summary>
    public int MelBands { get; init; } = 40;

    /// <summary>Number of cepstral coefficients kept (the first ones of the DCT, including c0).</summary>
    public int Coefficients { get; init; } = 10;

    /// <summary>Lower edge of the first mel filter in Hz.</summary>
    public double LowerFrequency { get; init; } = 20;

    /// <summary>Upper edge of the last mel filter in Hz (at most SampleRate/2).</summary>
    public double UpperFrequency { get; init; } = 4000;

    /// <summary>Floor applied before the natural log of the mel energies.</summary>
    public double LogFloor { get; init; } = 1e-6;

    /// <summary>Exponent of the spectral magnitude: 2 = power spectrum, 1 = magnitude.</summary>
    public double Power { get; init; } = 2.0;

    /// <summary>Periodic (true, the DFT-even form) or symmetric Hann window.</summary>
    public bool PeriodicWindow { get; init; } = true;

    /// <summary>The DFT size in effect.</summary>
    public int EffectiveFftLength => FftLength ?? WindowLength;

    /// <summary>Frequency bins of the one-sided spectrum.</summary>
    public int FrequencyBins => EffectiveFftLength / 2 + 1;

    /// <summary>Frames for a clip of <paramref name="samples"/> samples (see remarks).</summary>
    public int FramesFor(int samples) => samples < WindowLength ? 0 : 1 + (samples - WindowLength) / HopLength;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (SampleRate <= 0) throw new ArgumentException($"SampleRate must be positive, got {SampleRate}.");
        if (WindowLength < 2) throw new ArgumentException($"WindowLength must be at least 2, got {WindowLength}.");
        if (HopLength < 1) throw new ArgumentException($"HopLength must be at least 1, got {HopLength}.");
        if (FftLength is { } f && f < WindowLength) throw new ArgumentException($"FftLength {f} is shorter than WindowLength {WindowLength}.");
        if (MelBands < 1) throw new ArgumentException($"MelBands must be at least 1, got {MelBands}.");
        if (Coefficients < 1 || Coefficients > MelBands) throw new ArgumentException($"Coefficients must be in [1, MelBands={MelBands}], got {Coefficients}.");
        if (!(LowerFrequency >= 0) || !(UpperFrequency > LowerFrequency) || UpperFrequency > SampleRate / 2.0)
            throw new ArgumentException($"need 0 <= LowerFrequency < UpperFrequency <= SampleRate/2, got {LowerFrequency} and {UpperFrequency} at {SampleRate} Hz.");
        if (!(LogFloor > 0) || double.IsInfinity(LogFloor)) throw new ArgumentException($"LogFloor must be positive and finite, got {LogFloor}.");
        if (!(Power > 0) || double.IsInfinity(Power)) throw new ArgumentException($"Power must be positive and finite, got {Power}.");
    }
}
