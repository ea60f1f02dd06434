namespace ECQx.Coding;

/// <summary>
/// The trial pass, scalar: runs all <see cref="ContextParameters"/> candidates of a context side by side on each
/// bin and adds up their costs from a −log2 table.
/// </summary>
internal readonly struct ScalarTrialCostSink : IBinSink
{
    /// <summary>Cost of coding a bin whose probability is <c>(i·16 + 8)/2^16</c>, in 2^-15 bits.</summary>
    private static readonly uint[] CostTable = BuildCostTable();

    private static uint[] BuildCostTable()
    {
        var table = new uint[4096];
        for (int i = 0; i < table.Length; i++)
            table[i] = (uint)Math.Round(-Math.Log2((i * 16 + 8) / 65536.0) * ContextParameterSearch.CostScale);
        return table;
    }

    private const int Rates = ContextParameters.RateCount;
    private const int Candidates = ContextParameters.CandidateCount;

    private readonly int[] _fast;
    private readonly int[] _slow;
    private readonly int[] _fastShift;
    private readonly int[] _slowShift;
    internal readonly long[] Costs;

    internal ScalarTrialCostSink(int contexts)
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
