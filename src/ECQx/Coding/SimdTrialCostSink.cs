using System.Runtime.Intrinsics;

namespace ECQx.Coding;

/// <summary>
/// The trial pass with SIMD (same result as <see cref="ScalarTrialCostSink"/>): per context and rate, one 8-lane vector holds the eight initial
/// probabilities. Instead of a log table, each lane multiplies its running product of bin probabilities
/// (in units of 2^-16) into a float mantissa and moves the exponent into an integer, so the cost in bits is
/// <c>16·n − Σexponent − log2(mantissa)</c> (float rounding adds under 10^-7 bits per bin).
/// </summary>
internal readonly struct SimdTrialCostSink : IBinSink
{
    private const int Rates = ContextParameters.RateCount;
    private const int Candidates = ContextParameters.CandidateCount;
    private const int FlushInterval = 1 << 20;

    private readonly Vector256<int>[] _fast;
    private readonly Vector256<int>[] _slow;
    private readonly Vector256<float>[] _mantissa;
    private readonly Vector256<int>[] _exponent;
    private readonly int[] _sinceFlush;
    private readonly long[] _bins;
    private readonly long[] _exponentTotal;
    private readonly int[] _fastShift;
    private readonly int[] _slowShift;

    internal SimdTrialCostSink(int contexts)
    {
        if (ContextParameters.InitCount != Vector256<int>.Count)
            throw new InvalidOperationException("the SIMD trial pass needs one lane per initial probability");
        _fast = new Vector256<int>[contexts * Rates];
        _slow = new Vector256<int>[contexts * Rates];
        _mantissa = new Vector256<float>[contexts * Rates];
        _exponent = new Vector256<int>[contexts * Rates];
        _sinceFlush = new int[contexts];
        _bins = new long[contexts];
        _exponentTotal = new long[contexts * Candidates];
        Span<int> inits = stackalloc int[Vector256<int>.Count];
        for (int i = 0; i < inits.Length; i++) inits[i] = ContextParameters.InitialProbabilityAt(i);
        var initial = Vector256.Create<int>(inits);
        for (int i = 0; i < _fast.Length; i++)
        {
            _fast[i] = initial;
            _slow[i] = initial;
            _mantissa[i] = Vector256<float>.One;
        }
        _fastShift = new int[Rates];
        _slowShift = new int[Rates];
        for (int r = 0; r < Rates; r++) (_fastShift[r], _slowShift[r]) = ContextParameters.RateShiftsAt(r);
    }

    public void Bin(int context, int bin)
    {
        int first = context * Rates;
        var one = Vector256.Create(ContextModel.One);
        var mantissaMask = Vector256.Create(0x007FFFFF);
        var exponentOne = Vector256.Create(0x3F800000);
        var bias = Vector256.Create(127);
        for (int r = 0; r < Rates; r++)
        {
            int i = first + r;
            var f = _fast[i];
            var s = _slow[i];
            var p = Vector256.ShiftRightArithmetic(f + s + Vector256<int>.One, 1);
            var product = _mantissa[i] * Vector256.ConvertToSingle(bin != 0 ? p : one - p);
            var bits = product.AsInt32();
            _exponent[i] += Vector256.ShiftRightLogical(bits, 23) - bias;
            _mantissa[i] = ((bits & mantissaMask) | exponentOne).AsSingle();
            if (bin != 0)
            {
                _fast[i] = f + Vector256.ShiftRightArithmetic(one - f, _fastShift[r]);
                _slow[i] = s + Vector256.ShiftRightArithmetic(one - s, _slowShift[r]);
            }
            else
            {
                _fast[i] = f - Vector256.ShiftRightArithmetic(f, _fastShift[r]);
                _slow[i] = s - Vector256.ShiftRightArithmetic(s, _slowShift[r]);
            }
        }
        _bins[context]++;
        if (++_sinceFlush[context] == FlushInterval) Flush(context);
    }

    public void Bypass(uint value, int count)
    {
        // Same cost under every candidate.
    }

    private void Flush(int context)
    {
        for (int r = 0; r < Rates; r++)
        {
            var e = _exponent[context * Rates + r];
            for (int init = 0; init < Vector256<int>.Count; init++)
                _exponentTotal[context * Candidates + init * Rates + r] += e[init];
            _exponent[context * Rates + r] = Vector256<int>.Zero;
        }
        _sinceFlush[context] = 0;
    }

    /// <summary>Costs in the layout and units of <see cref="ScalarTrialCostSink.Costs"/>.</summary>
    internal long[] Finish()
    {
        var costs = new long[_exponentTotal.Length];
        for (int context = 0; context < _bins.Length; context++)
        {
            Flush(context);
            for (int r = 0; r < Rates; r++)
            {
                var m = _mantissa[context * Rates + r];
                for (int init = 0; init < Vector256<int>.Count; init++)
                {
                    int c = context * Candidates + init * Rates + r;
                    double bits = 16.0 * _bins[context] - _exponentTotal[c] - Math.Log2(m[init]);
                    costs[c] = (long)Math.Round(bits * ContextParameterSearch.CostScale);
                }
            }
        }
        return costs;
    }
}
