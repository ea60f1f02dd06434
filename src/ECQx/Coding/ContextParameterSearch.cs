using System.Runtime.Intrinsics;

namespace ECQx.Coding;

/// <summary>
/// The encoder's trial pass (spec §d.3, DeepCABAC "param_opt"): runs the binarisation once and, for every
/// context, the cost in bits of its bins under each of the <see cref="ContextParameters"/> candidates at the
/// same time. The bins a context sees depend only on the levels, not on probabilities, so each context's
/// best candidate can be chosen on its own.
/// </summary>
internal static class ContextParameterSearch
{
    /// <summary>Fixed-point scale of costs: 2^15 units per bit.</summary>
    internal const int CostScale = 1 << 15;

    /// <summary>Cost of coding a bin whose probability is <c>(i·16 + 8)/2^16</c>, in 2^-15 bits.</summary>
    private static readonly uint[] CostTable = BuildCostTable();

    private static uint[] BuildCostTable()
    {
        var table = new uint[4096];
        for (int i = 0; i < table.Length; i++)
            table[i] = (uint)Math.Round(-Math.Log2((i * 16 + 8) / 65536.0) * CostScale);
        return table;
    }

    /// <summary>
    /// Costs (2^-15 bits) of every candidate for every context: <c>costs[context * CandidateCount + candidate]</c>.
    /// </summary>
    internal static long[] Costs(ReadOnlySpan<int> levels, LevelStreamShape shape) =>
        Costs(levels, shape, Vector256.IsHardwareAccelerated);

    /// <summary>As <see cref="Costs(ReadOnlySpan{int}, LevelStreamShape)"/>, choosing the SIMD or the scalar pass.</summary>
    internal static long[] Costs(ReadOnlySpan<int> levels, LevelStreamShape shape, bool vectorized)
    {
        if (vectorized)
        {
            var vectorSink = new VectorCostSink(LevelContexts.Total);
            LevelBinarizer.Binarize(levels, shape, ref vectorSink);
            return vectorSink.Finish();
        }
        var sink = new CostSink(LevelContexts.Total);
        LevelBinarizer.Binarize(levels, shape, ref sink);
        return sink.Costs;
    }

    /// <summary>
    /// Picks, for each context in <paramref name="contextsInUse"/>, the candidate with the smallest cost
    /// including its signalling (1 bit for the default, 1 + <see cref="ContextParameters.CandidateBits"/>
    /// otherwise). Returns null when signalling nothing (all defaults, one flag bit) is cheaper.
    /// </summary>
    internal static int[]? Choose(long[] costs, int[] contextsInUse)
    {
        var choice = new int[LevelContexts.Total];
        long withSignalling = CostScale; // the "optimised" flag
        long allDefault = CostScale;
        foreach (int context in contextsInUse)
        {
            int baseIndex = context * ContextParameters.CandidateCount;
            long best = long.MaxValue;
            int bestCandidate = ContextParameters.DefaultCandidate;
            for (int c = 0; c < ContextParameters.CandidateCount; c++)
            {
                long signalling = c == ContextParameters.DefaultCandidate ? 1 : 1 + ContextParameters.CandidateBits;
                long total = costs[baseIndex + c] + signalling * CostScale;
                if (total < best)
                {
                    best = total;
                    bestCandidate = c;
                }
            }
            choice[context] = bestCandidate;
            withSignalling += best;
            allDefault += costs[baseIndex + ContextParameters.DefaultCandidate];
        }
        return withSignalling < allDefault ? choice : null;
    }

    /// <summary>Runs all candidates of a context side by side on each bin.</summary>
    private readonly struct CostSink : IBinSink
    {
        private const int Inits = ContextParameters.InitCount;
        private const int Rates = ContextParameters.RateCount;
        private const int Candidates = ContextParameters.CandidateCount;

        private readonly int[] _fast;
        private readonly int[] _slow;
        private readonly int[] _fastShift;
        private readonly int[] _slowShift;
        internal readonly long[] Costs;

        internal CostSink(int contexts)
        {
            _fast = new int[contexts * Candidates];
            _slow = new int[contexts * Candidates];
            Costs = new long[contexts * Candidates];
            for (int i = 0; i < _fast.Length; i++)
            {
                int candidate = i % Candidates;
                _fast[i] = _slow[i] = ContextParameters.InitialProbability(candidate);
            }
            _fastShift = new int[Rates];
            _slowShift = new int[Rates];
            for (int r = 0; r < Rates; r++) (_fastShift[r], _slowShift[r]) = ContextParameters.RateShiftsAt(r);
        }

        public void Bin(int context, int bin)
        {
            var fast = _fast.AsSpan(context * Candidates, Candidates);
            var slow = _slow.AsSpan(context * Candidates, Candidates);
            var costs = Costs.AsSpan(context * Candidates, Candidates);
            uint[] table = CostTable;
            if (bin != 0)
            {
                for (int r = 0; r < Rates; r++)
                {
                    int fs = _fastShift[r], ss = _slowShift[r];
                    for (int c = r; c < Candidates; c += Rates)
                    {
                        int f = fast[c], s = slow[c];
                        int p = (f + s + 1) >> 1;
                        costs[c] += table[p >> 4];
                        fast[c] = f + ((ContextModel.One - f) >> fs);
                        slow[c] = s + ((ContextModel.One - s) >> ss);
                    }
                }
            }
            else
            {
                for (int r = 0; r < Rates; r++)
                {
                    int fs = _fastShift[r], ss = _slowShift[r];
                    for (int c = r; c < Candidates; c += Rates)
                    {
                        int f = fast[c], s = slow[c];
                        int p = (f + s + 1) >> 1;
                        costs[c] += table[(ContextModel.One - p) >> 4];
                        fast[c] = f - (f >> fs);
                        slow[c] = s - (s >> ss);
                    }
                }
            }
        }

        public void Bypass(uint value, int count)
        {
            // Same cost under every candidate.
        }
    }

    /// <summary>
    /// SIMD version of <see cref="CostSink"/>: per context and rate, one 8-lane vector holds the eight initial
    /// probabilities. Instead of a log table, each lane multiplies its running product of bin probabilities
    /// (in units of 2^-16) into a float mantissa and moves the exponent into an integer, so the cost in bits is
    /// <c>16·n − Σexponent − log2(mantissa)</c> (float rounding adds under 10^-7 bits per bin).
    /// </summary>
    private readonly struct VectorCostSink : IBinSink
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

        internal VectorCostSink(int contexts)
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

        /// <summary>Costs in the layout and units of <see cref="CostSink.Costs"/>.</summary>
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
                        costs[c] = (long)Math.Round(bits * CostScale);
                    }
                }
            }
            return costs;
        }
    }
}
