using ECQx.Data.Speech;

namespace ECQx.Tests.Data;

/// <summary>
/// A plain float64 MFCC written from the formulas (naive DFT, HTK mel triangles, natural log with floor,
/// orthonormal DCT-II), independent of the TorchSharp implementation.
/// </summary>
internal static class MfccReference
{
    public static double Mel(double hz) => 2595.0 * Math.Log10(1.0 + hz / 700.0);

    /// <summary>Filter weights [band, bin].</summary>
    public static double[,] Filterbank(MfccOptions o)
    {
        int nfft = o.FftLength ?? o.WindowLength, bins = nfft / 2 + 1, m = o.MelBands;
        double lo = Mel(o.LowerFrequency), hi = Mel(o.UpperFrequency), step = (hi - lo) / (m + 1);
        var w = new double[m, bins];
        for (int b = 0; b < m; b++)
        {
            double left = lo + b * step, centre = lo + (b + 1) * step, right = lo + (b + 2) * step;
            for (int k = 0; k < bins; k++)
            {
                double f = Mel(k * (double)o.SampleRate / nfft);
                double v = f <= centre ? (f - left) / (centre - left) : (right - f) / (right - centre);
                w[b, k] = Math.Max(0, v);
            }
        }
        return w;
    }

    /// <summary>Mel energies [frame, band].</summary>
    public static double[,] MelEnergies(double[] x, MfccOptions o)
    {
        int win = o.WindowLength, hop = o.HopLength, nfft = o.FftLength ?? win, bins = nfft / 2 + 1;
        int frames = 1 + (x.Length - win) / hop;
        var window = new double[win];
        int denom = o.PeriodicWindow ? win : win - 1;
        for (int n = 0; n < win; n++) window[n] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * n / denom);
        var cosT = new double[nfft];
        var sinT = new double[nfft];
        for (int i = 0; i < nfft; i++) { cosT[i] = Math.Cos(2 * Math.PI * i / nfft); sinT[i] = Math.Sin(2 * Math.PI * i / nfft); }
        var fb = Filterbank(o);
        var e = new double[frames, o.MelBands];
        var power = new double[bins];
        for (int t = 0; t < frames; t++)
        {
            for (int k = 0; k < bins; k++)
            {
                double re = 0, im = 0;
                for (int n = 0; n < win; n++)
                {
                    double v = x[t * hop + n] * window[n];
                    int idx = (int)((long)k * n % nfft);
                    re += v * cosT[idx];
                    im -= v * sinT[idx];
                }
                power[k] = Math.Pow(Math.Sqrt(re * re + im * im), o.Power);
            }
            for (int b = 0; b < o.MelBands; b++)
            {
                double s = 0;
                for (int k = 0; k < bins; k++) s += fb[b, k] * power[k];
                e[t, b] = s;
            }
        }
        return e;
    }

    /// <summary>MFCCs [frame, coefficient].</summary>
    public static double[,] Mfcc(double[] x, MfccOptions o)
    {
        var e = MelEnergies(x, o);
        int frames = e.GetLength(0), m = o.MelBands;
        var c = new double[frames, o.Coefficients];
        for (int t = 0; t < frames; t++)
        for (int j = 0; j < o.Coefficients; j++)
        {
            double s = 0;
            for (int b = 0; b < m; b++) s += Math.Log(Math.Max(e[t, b], o.LogFloor)) * Math.Cos(Math.PI * j * (b + 0.5) / m);
            c[t, j] = s * (j == 0 ? Math.Sqrt(1.0 / m) : Math.Sqrt(2.0 / m));
        }
        return c;
    }
}
