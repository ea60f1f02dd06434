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
    internal static long[] Costs(ReadOnlySpan<int> levels, LevelStreamShape shape)
    {
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
}
