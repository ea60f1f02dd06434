using ECQx.Data.Speech;
using ECQx.Tests.Fixtures;
using FsCheck;
using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Data;

public class MfccTests
{
    private static double[] Signal(int n, int seed)
    {
        var tone = WavFixtures.Tone(440, n, 0.4);
        var tone2 = WavFixtures.Tone(2100, n, 0.2, phase: 1);
        var noise = WavFixtures.Noise(n, 0.05, seed);
        return Enumerable.Range(0, n).Select(i => (tone[i] + tone2[i] + noise[i]) / 32768.0).ToArray();
    }

    private static void AssertClose(double[,] expected, float[] actual, double tolerance)
    {
        int rows = expected.GetLength(0), cols = expected.GetLength(1);
        Assert.Equal(rows * cols, actual.Length);
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
        {
            double e = expected[r, c], a = actual[r * cols + c];
            Assert.True(Math.Abs(e - a) <= tolerance * Math.Max(1, Math.Abs(e)), $"[{r},{c}] expected {e}, got {a}");
        }
    }

    [Fact]
    public void DefaultFramingGives49By10PerOneSecondClip()
    {
        var o = new MfccOptions();
        Assert.Equal(49, o.FramesFor(16000));
        Assert.Equal(1 + (16000 - 640) / 320, o.FramesFor(16000));
        using var mfcc = new Mfcc(o);
        using var scope = NewDisposeScope();
        var x = mfcc.Compute(zeros(3, 16000));
        Assert.Equal(new long[] { 3, 49, 10 }, x.shape);
        Assert.Equal(ScalarType.Float32, x.dtype);
        // all-zero input: every log-mel is log(floor), so c0 = sqrt(M)·log(floor) and the rest vanish
        var v = x.data<float>().ToArray();
        Assert.Equal(Math.Sqrt(40) * Math.Log(1e-6), v[0], 3);
        Assert.All(Enumerable.Range(1, 9), k => Assert.Equal(0.0, v[k], 3));
    }

    [Property(MaxTest = 25)]
    public bool FrameCountFollowsTheFormula(PositiveInt samplesRaw, PositiveInt winRaw, PositiveInt hopRaw)
    {
        int win = 16 + 2 * (winRaw.Get % 40), hop = 1 + hopRaw.Get % 50, samples = win + samplesRaw.Get % 600;
        var o = new MfccOptions { SampleRate = 8000, WindowLength = win, HopLength = hop, MelBands = 8, Coefficients = 4, LowerFrequency = 0, UpperFrequency = 4000 };
        using var mfcc = new Mfcc(o);
        using var scope = NewDisposeScope();
        var spec = mfcc.Spectrogram(ones(2, samples));
        return spec.shape[1] == 1 + (samples - win) / hop && spec.shape[2] == win / 2 + 1 && o.FramesFor(samples) == spec.shape[1];
    }

    [Fact]
    public void DctMatrixIsOrthonormal()
    {
        TorchRuntime.EnsureLoaded();
        foreach (int n in new[] { 1, 10, 40 })
        {
            using var scope = NewDisposeScope();
            var d = Mfcc.Dct2Orthonormal(n).to(float64);
            var gram = matmul(d, d.t());
            Assert.True(gram.allclose(eye(n, dtype: float64), rtol: 0, atol: 1e-6), $"D·Dᵀ ≠ I for n={n}");
            // constant input: only c0 survives, equal to sqrt(n)·value
            var c = matmul(d, full(n, 2.0, dtype: float64)).data<double>().ToArray();
            Assert.Equal(2 * Math.Sqrt(n), c[0], 5);
            Assert.All(c.Skip(1), v => Assert.Equal(0.0, v, 5));
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(15)]
    [InlineData(25)]
    [InlineData(35)]
    public void PureToneEnergyLandsInItsMelBand(int band)
    {
        var o = new MfccOptions();
        using var mfcc = new Mfcc(o);
        double hz = mfcc.CenterFrequency(band);
        Assert.Equal(MfccReference.Mel(o.LowerFrequency) + (band + 1) * (MfccReference.Mel(o.UpperFrequency) - MfccReference.Mel(o.LowerFrequency)) / 41,
            MfccReference.Mel(hz), 6);
        using var scope = NewDisposeScope();
        var wave = tensor(WavFixtures.Tone(hz, 16000, 0.5).Select(s => s / 32768f).ToArray()).unsqueeze(0);
        var energy = mfcc.MelEnergies(wave).mean(new long[] { 0, 1 });   // [40]
        var e = energy.data<float>().ToArray();
        Assert.Equal(band, Array.IndexOf(e, e.Max()));
        for (int m = 0; m < e.Length; m++)
            if (Math.Abs(m - band) > 2) Assert.True(e[m] < 0.01 * e[band], $"band {m} has {e[m]} vs {e[band]} in band {band}");
    }

    [Fact]
    public void FilterbankIsAPartitionOfUnityBetweenTheFirstAndLastCentres()
    {
        var o = new MfccOptions();
        using var mfcc = new Mfcc(o);
        using var scope = NewDisposeScope();
        var sums = mfcc.MelFilterbank.sum(dim: 0).data<float>().ToArray();
        double first = mfcc.CenterFrequency(0), last = mfcc.CenterFrequency(o.MelBands - 1);
        int checkedBins = 0;
        for (int k = 0; k < sums.Length; k++)
        {
            double f = k * 16000.0 / 640;
            if (f < first || f > last) continue;
            Assert.Equal(1.0, sums[k], 4);
            checkedBins++;
        }
        Assert.True(checkedBins > 100);
        Assert.Equal(0.0, sums[^1], 6);   // 8 kHz is above the 4 kHz upper edge
    }

    [Theory]
    [InlineData(null, 2.0, true)]
    [InlineData(1024, 2.0, true)]
    [InlineData(null, 1.0, false)]
    public void MatchesTheFloat64Reference(int? fft, double power, bool periodic)
    {
        var o = new MfccOptions { FftLength = fft, Power = power, PeriodicWindow = periodic };
        var x = Signal(8000, 3);
        var reference = MfccReference.Mfcc(x, o);
        using var mfcc = new Mfcc(o);
        using var scope = NewDisposeScope();
        var actual = mfcc.Compute(tensor(x.Select(v => (float)v).ToArray()).unsqueeze(0)).data<float>().ToArray();
        AssertClose(reference, actual, 2e-3);

        var refEnergy = MfccReference.MelEnergies(x, o);
        var energy = mfcc.MelEnergies(tensor(x.Select(v => (float)v).ToArray()).unsqueeze(0)).data<float>().ToArray();
        AssertClose(refEnergy, energy, 1e-3);
    }

    [Fact]
    public void BatchRowsAreIndependent()
    {
        using var mfcc = new Mfcc();
        using var scope = NewDisposeScope();
        var a = tensor(Signal(16000, 1).Select(v => (float)v).ToArray());
        var b = tensor(Signal(16000, 2).Select(v => (float)v).ToArray());
        var both = mfcc.Compute(stack(new[] { a, b }));
        Assert.True(both[1].allclose(mfcc.Compute(b)[0], rtol: 1e-4, atol: 1e-4));
        Assert.True(both[0].allclose(mfcc.Compute(a)[0], rtol: 1e-4, atol: 1e-4));
    }

    [Theory]
    [InlineData("Coefficients")]
    [InlineData("UpperFrequency")]
    [InlineData("FftLength")]
    [InlineData("LogFloor")]
    public void BadOptionsNameTheValue(string field)
    {
        var o = field switch
        {
            "Coefficients" => new MfccOptions { Coefficients = 41 },
            "UpperFrequency" => new MfccOptions { UpperFrequency = 9000 },
            "FftLength" => new MfccOptions { FftLength = 100 },
            _ => new MfccOptions { LogFloor = 0 },
        };
        var e = Assert.Throws<ArgumentException>(() => new Mfcc(o));
        Assert.Contains(field, e.Message);
    }
}
