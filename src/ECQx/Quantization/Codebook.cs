using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>
/// A per-tensor uniform codebook (spec §a.3): integer levels <c>MinLevel … MaxLevel</c> (2^b of them, always
/// including 0), level <c>k</c> ↔ centroid value <c>float32(k·Step)</c>. Centroids are fixed once created.
/// <para>
/// The tensors it caches (centroids and nearest-centroid breakpoints per device and dtype) are native memory
/// outside any dispose scope: dispose the codebook when done.
/// </para>
/// </summary>
public sealed class Codebook : IDisposable
{
    /// <summary>Smallest supported bit width (unsigned grids only; signed grids need ≥ 2).</summary>
    public const int MinBits = 1;

    /// <summary>Largest supported bit width.</summary>
    public const int MaxBits = 8;

    private readonly object _gate = new();
    private readonly Dictionary<(string Device, ScalarType Type), Tensor> _centroidCache = new();
    private readonly Dictionary<(string Device, ScalarType Type), Tensor> _nearestBreakCache = new();
    private readonly double[] _nearestBreaks;
    private bool _disposed;

    /// <summary>
    /// The lowest level of a <paramref name="width"/>-bit codebook that holds [min, max], preferring the
    /// spec §a.3 codebooks: unsigned {0..2^b−1}, then signed {−2^(b−1)..2^(b−1)−1}, then {−2^(b−1)+1..2^(b−1)};
    /// otherwise one starting at <paramref name="min"/>. Null when the span does not fit. A pure function of
    /// its arguments for any width 1..32 (the .ecqx coder's grids go beyond <see cref="MaxBits"/>).
    /// </summary>
    public static int? LowestLevelHolding(int min, int max, int width)
    {
        long size = 1L << width;
        if ((long)max - min + 1 > size) return null;
        long half = size / 2;
        foreach (long start in (long[])[0, -half, -half + 1])
            if (min >= start && max <= start + size - 1 && start >= int.MinValue && start + size - 1 <= int.MaxValue) return (int)start;
        return min + size - 1 <= int.MaxValue ? min : (int)(max - size + 1);
    }

    /// <summary>
    /// Creates a codebook from its parameters, e.g. when restoring a checkpoint.
    /// </summary>
    /// <param name="bits">Bit width b in [1, 8]; the grid has 2^b levels.</param>
    /// <param name="step">Step Δ ≥ 0 (0 only for the degenerate codebook of an all-zero tensor).</param>
    /// <param name="minLevel">Lowest integer level; must satisfy <c>minLevel ≤ 0 ≤ minLevel + 2^b − 1</c>.</param>
    /// <param name="device">Device of <see cref="Centroids"/> (default CPU).</param>
    /// <param name="name">Tensor name, used in messages.</param>
    public Codebook(int bits, double step, int minLevel, Device? device = null, string name = "tensor")
        : this(bits, step, minLevel, device, name, null, double.NaN, false) { }

    private Codebook(int bits, double step, int minLevel, Device? device, string name, SignVote? vote, double percentileValue, bool usedMaxFallback)
    {
        TorchRuntime.EnsureLoaded();
        if (bits < MinBits || bits > MaxBits)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"Bit width for tensor '{name}' must be in [{MinBits}, {MaxBits}], got {bits}.");
        if (!(double.IsFinite(step) && step >= 0))
            throw new ArgumentOutOfRangeException(nameof(step), step, $"Step for tensor '{name}' must be a finite number ≥ 0, got {step}.");
        int count = 1 << bits;
        if (minLevel > 0 || minLevel + count - 1 < 0)
            throw new ArgumentOutOfRangeException(nameof(minLevel), minLevel,
                $"The levels {minLevel}…{minLevel + count - 1} of tensor '{name}' do not include 0.");

        Name = name;
        Bits = bits;
        Step = step;
        MinLevel = minLevel;
        Vote = vote;
        PercentileValue = percentileValue;
        UsedMaxFallback = usedMaxFallback;

        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((minLevel + i) * step);
        CentroidValues = values;
        _nearestBreaks = new double[count - 1];
        for (int i = 0; i + 1 < count; i++) _nearestBreaks[i] = 0.5 * ((double)values[i] + values[i + 1]);

        var dev = device ?? torch.CPU;
        Centroids = torch.tensor(values, device: dev).DetachFromDisposeScope();
        _centroidCache[(dev.ToString(), ScalarType.Float32)] = Centroids;
    }

    /// <summary>Tensor name the codebook was made for (used in messages).</summary>
    public string Name { get; }

    /// <summary>Bit width b.</summary>
    public int Bits { get; }

    /// <summary>Number of levels K = 2^b.</summary>
    public int Count => 1 << Bits;

    /// <summary>Step Δ (a float32 value for codebooks made by <see cref="FromWeights"/>).</summary>
    public double Step { get; }

    /// <summary>Lowest integer level (0 for unsigned grids, −2^(b−1) or −2^(b−1)+1 for signed grids).</summary>
    public int MinLevel { get; }

    /// <summary>Highest integer level.</summary>
    public int MaxLevel => MinLevel + Count - 1;

    /// <summary>Index of the zero centroid in <see cref="Centroids"/> (= −MinLevel).</summary>
    public int ZeroIndex => -MinLevel;

    /// <summary>True for the unsigned grid <c>{0 … 2^b − 1}·Δ</c>.</summary>
    public bool IsUnsigned => MinLevel == 0;

    /// <summary>True when Δ = 0 (made from an all-zero tensor): every centroid is 0 and everything maps to level 0.</summary>
    public bool IsDegenerate => Step == 0;

    /// <summary>The sign vote that chose a signed grid (null for unsigned grids and explicit codebooks).</summary>
    public SignVote? Vote { get; }

    /// <summary>The percentile of |W| that set the step (NaN for explicit codebooks).</summary>
    public double PercentileValue { get; }

    /// <summary>True when the percentile was 0 and Δ fell back to <c>max|W|/D</c>.</summary>
    public bool UsedMaxFallback { get; }

    /// <summary>Centroid values <c>float32(k·Δ)</c>, ascending, index i ↔ level <c>MinLevel + i</c>.</summary>
    public IReadOnlyList<float> CentroidValues { get; }

    /// <summary>Centroids as a float32 tensor on the device the codebook was created on.</summary>
    public Tensor Centroids { get; }

    /// <summary>Centroid value of an integer level.</summary>
    public float ValueOf(int level)
    {
        if (level < MinLevel || level > MaxLevel)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"Level must be in [{MinLevel}, {MaxLevel}] for tensor '{Name}'.");
        return CentroidValues[level - MinLevel];
    }

    /// <summary>
    /// Weights per level (index <c>level − MinLevel</c>) of <paramref name="values"/>, which must lie on this grid
    /// (values <c>k·Δ</c>, as an assignment or a rounding to the grid gives them): level = round(value/Δ), counted with
    /// one bincount. A degenerate codebook (Δ = 0) counts everything at level 0.
    /// </summary>
    public long[] LevelHistogram(Tensor values)
    {
        using var scope = torch.NewDisposeScope();
        var flat = values.detach().reshape(-1);
        if (flat.numel() == 0) return new long[Count];
        var index = IsDegenerate
            ? torch.full(flat.shape[0], (long)ZeroIndex, ScalarType.Int64, flat.device)
            : flat.to(ScalarType.Float64).div(Step).round().to(ScalarType.Int64).sub(MinLevel).clamp(0, Count - 1);
        return torch.bincount(index, minlength: Count).cpu().data<long>().ToArray();
    }

    /// <summary>
    /// Whether every value of <paramref name="values"/> is one of this codebook's centroids (its dtype's copy of them):
    /// level = round(value/Δ) clamped to the grid, and the centroid of that level equals the value. One pass of a few
    /// elementwise ops and one host sync; temporaries are freed before it returns. A degenerate codebook holds only 0.
    /// </summary>
    public bool Holds(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = torch.NewDisposeScope();
        var v = values.detach();
        if (v.numel() == 0) return true;
        if (IsDegenerate) return v.eq(0).all().item<bool>();
        if (v.dtype == ScalarType.Float32)
        {
            // Δ is a float32 and |level| ≤ 255, so level·Δ is exact in double and its float32 rounding is what one
            // float32 multiply gives: the reconstruction below is the centroid exactly when the level is right.
            float step = (float)Step;
            return v.div(step).round_().clamp_(MinLevel, MaxLevel).mul_(step).eq(v).all().item<bool>();
        }
        if (!v.is_floating_point()) return false;
        var index = v.to(ScalarType.Float64).div(Step).round_().clamp_(MinLevel, MaxLevel).sub_(MinLevel).to(ScalarType.Int64);
        return CentroidsFor(v.device, v.dtype).index_select(0, index.reshape(-1)).eq(v.reshape(-1)).all().item<bool>();
    }

    /// <summary>
    /// Builds the codebook of a tensor from its (pretrained) weights, exactly as spec §a.3:
    /// <c>a</c> = the <see cref="CodebookOptions.Percentile"/> of |W| with numpy's linear interpolation;
    /// <c>D = 2^b − 1</c> for the unsigned grid (no negative entry and <see cref="CodebookOptions.UnsignedSupport"/>),
    /// else <c>D = 2^(b−1) − 1</c>; <c>Δ = a/D</c>, or <c>max|W|/D</c> when that is 0; signed grids put the extra
    /// level on the side the <see cref="SignVote"/> picks. Δ is rounded to float32 so that centroid k is exactly
    /// <c>float32(k·Δ)</c> here and in any decoder. An all-zero tensor gives a degenerate codebook with Δ = 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">b outside [1, 8].</exception>
    /// <exception cref="ArgumentException">Empty or non-float tensor; signed tensor with b &lt; 2.</exception>
    /// <exception cref="InvalidDataException">NaN or infinite weights (names the first bad index).</exception>
    public static Codebook FromWeights(Tensor weights, int bits, CodebookOptions? options = null, string name = "tensor")
    {
        TorchRuntime.EnsureLoaded();
        options ??= CodebookOptions.Default;
        options.Validate();
        if (bits < MinBits || bits > MaxBits)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"Bit width for tensor '{name}' must be in [{MinBits}, {MaxBits}], got {bits}.");
        TensorChecks.RequireFloating(weights, name, "weights");
        TensorChecks.RequireNonEmpty(weights, name, "weights");

        using var scope = torch.NewDisposeScope();
        var flat = weights.detach().reshape(-1);
        if (flat.dtype != ScalarType.Float64 && flat.dtype != ScalarType.Float32) flat = flat.to_type(ScalarType.Float32);
        var (min, max) = TensorChecks.MinMax(flat);
        TensorChecks.RequireFinite(flat, min, max, name, "weights");

        bool unsigned = options.UnsignedSupport && min >= 0;
        if (!unsigned && bits < 2)
            throw new ArgumentException(
                $"Tensor '{name}' has negative weights, so it needs a signed grid, which needs a bit width ≥ 2 (got {bits}).", nameof(bits));
        int denominator = unsigned ? (1 << bits) - 1 : (1 << (bits - 1)) - 1;

        var abs = flat.abs();
        double a = NumpyLinearPercentile(abs, options.Percentile);
        double delta = a / denominator;
        bool fallback = false;
        if (delta == 0)
        {
            delta = Math.Max(Math.Abs(min), Math.Abs(max)) / denominator;
            fallback = true;
        }
        double step = (float)delta;

        if (unsigned) return new Codebook(bits, step, 0, weights.device, name, null, a, fallback);

        var vote = ComputeVote(flat, min, max);
        int half = 1 << (bits - 1);
        int minLevel = vote.PositiveIsHeavier ? -half + 1 : -half;
        return new Codebook(bits, step, minLevel, weights.device, name, vote, a, fallback);
    }

    /// <summary>
    /// numpy's default ('linear') percentile of the values of a flat tensor: sorted x, <c>h = (n−1)·q/100</c>,
    /// <c>x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])</c> (numpy's two-sided lerp), in double precision. Only the
    /// two order statistics are selected (topk from the top), so it works for any size, unlike torch.quantile.
    /// </summary>
    internal static double NumpyLinearPercentile(Tensor flat, double percentile)
    {
        long n = flat.numel();
        double q = percentile / 100.0;
        double h = (n - 1) * q;
        long lo = (long)Math.Floor(h);
        if (lo > n - 1) lo = n - 1;
        long hi = Math.Min(lo + 1, n - 1);
        double t = h - lo;
        long k = n - lo; // topk from the top down to sorted position lo
        var (values, indices) = flat.topk((int)Math.Min(k, int.MaxValue), largest: true, sorted: true);
        using (values)
        using (indices)
        using (var tail = values.narrow(0, Math.Max(0, k - 2), Math.Min(2, k)).to_type(ScalarType.Float64).cpu())
        {
            var v = tail.data<double>().ToArray(); // descending: [x[lo+1], x[lo]] or [x[lo]]
            double xLo = v[^1];
            double xHi = hi == lo ? xLo : v[0];
            double diff = xHi - xLo;
            return t >= 0.5 ? xHi - diff * (1 - t) : xLo + diff * t;
        }
    }

    private static SignVote ComputeVote(Tensor flat, double min, double max)
    {
        using var scope = torch.NewDisposeScope();
        var f = flat.to_type(ScalarType.Float64);
        var pos = f.masked_select(f.gt(0));
        var neg = f.masked_select(f.lt(0)).abs();
        var (nPos, meanPos, sumPos, stdPos) = Stats(pos);
        var (nNeg, meanNeg, sumNeg, stdNeg) = Stats(neg);
        // NaN comparisons are false, so a NaN statistic votes NEG, as in the reference.
        return new SignVote(
            AbsExtremes: Math.Abs(max) > Math.Abs(min),
            Means: meanPos > meanNeg,
            Counts: nPos > nNeg,
            Sums: sumPos > sumNeg,
            Stds: stdPos > stdNeg);
    }

    private static (long Count, double Mean, double Sum, double Std) Stats(Tensor x)
    {
        long n = x.numel();
        if (n == 0) return (0, double.NaN, 0, double.NaN);
        double sum = x.sum().item<double>();
        double mean = x.mean().item<double>();
        double std = n >= 2 ? x.std(unbiased: true).item<double>() : double.NaN;
        return (n, mean, sum, std);
    }

    /// <summary>Centroids on a device in a dtype (cached; owned by the codebook).</summary>
    internal Tensor CentroidsFor(Device device, ScalarType type)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = (device.ToString(), type);
            if (!_centroidCache.TryGetValue(key, out var t))
            {
                t = Centroids.to(type, device).DetachFromDisposeScope();
                _centroidCache[key] = t;
            }
            return t;
        }
    }

    /// <summary>The K−1 midpoints between neighbouring centroids, in double precision.</summary>
    internal double[] NearestBreaks => _nearestBreaks;

    /// <summary>Nearest-centroid breakpoints for bucketizing weights of the given work dtype (cached).</summary>
    internal Tensor NearestBreaksFor(Device device, ScalarType workType)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = (device.ToString(), workType);
            if (!_nearestBreakCache.TryGetValue(key, out var t))
            {
                t = BreaksTensor(_nearestBreaks, workType, device).DetachFromDisposeScope();
                _nearestBreakCache[key] = t;
            }
            return t;
        }
    }

    /// <summary>Breakpoints as a tensor comparable with weights of the work dtype (see <see cref="LowerEnvelope.ForFloat32"/>).</summary>
    internal static Tensor BreaksTensor(double[] breaks, ScalarType workType, Device device) =>
        workType == ScalarType.Float64
            ? torch.tensor(breaks, device: device)
            : torch.tensor(LowerEnvelope.ForFloat32(breaks), device: device);

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    internal bool IsDisposed => _disposed;

    /// <summary>Throws if the codebook has been disposed.</summary>
    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Frees the cached native tensors.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var t in _centroidCache.Values) t.Dispose();
            foreach (var t in _nearestBreakCache.Values) t.Dispose();
            _centroidCache.Clear();
            _nearestBreakCache.Clear();
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"Codebook('{Name}', {Bits} bit, Δ={Step:G9}, levels {MinLevel}…{MaxLevel})";
}
