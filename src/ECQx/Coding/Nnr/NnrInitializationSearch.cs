namespace ECQx.Coding.Nnr;

/// <summary>
/// The encoder's choice of each context's initialisation (NNCodec's <c>param_opt</c>): one trial pass over the bins
/// runs all nine initialisations of every context side by side, adds up the estimated cost of each, and picks the
/// cheapest, charging a non-default choice the 3 bypass bins that signal it. Costs are estimated from the normative
/// LPS sub-range table (mean LPS probability of a probability class over the eight range intervals); only the choice
/// depends on the estimate, so any estimate yields a valid bitstream.
/// </summary>
internal static class NnrInitializationSearch
{
    private const int Scale = 1 << 15;

    /// <summary>Estimated cost in 1/32768 bits of coding the MPS [0] or the LPS [1] in each probability class.</summary>
    private static readonly uint[,] CostByClass = BuildCosts();

    /// <summary>Per context of <paramref name="layout"/>, the chosen initialisation (0..8).</summary>
    internal static int[] Choose(ReadOnlySpan<int> levels, NnrLevelContexts layout)
    {
        var sink = new TrialSink(layout.Count);
        NnrBinarization.Binarize(levels, layout, ref sink);
        var choice = new int[layout.Count];
        for (int c = 0; c < layout.Count; c++)
        {
            if (!layout.IsSignalled(c)) continue;
            ulong best = sink.Cost[c * NnrTables.InitializationCount];
            for (int i = 1; i < NnrTables.InitializationCount; i++)
            {
                ulong cost = sink.Cost[c * NnrTables.InitializationCount + i] + 3 * Scale;
                if (cost < best)
                {
                    best = cost;
                    choice[c] = i;
                }
            }
        }
        return choice;
    }

    private static uint[,] BuildCosts()
    {
        var costs = new uint[32, 2];
        var table = NnrTables.RangeLps;
        for (int q = 0; q < 32; q++)
        {
            double p = 0;
            for (int row = 0; row < 8; row++) p += table[32 * row + q] / (256.0 + 32 * row + 16);
            p = Math.Clamp(p / 8, 1e-4, 0.5);
            costs[q, 0] = (uint)Math.Round(-Math.Log2(1 - p) * Scale);
            costs[q, 1] = (uint)Math.Round(-Math.Log2(p) * Scale);
        }
        return costs;
    }

    private struct TrialSink : NnrBinarization.IBinSink
    {
        private readonly NnrContext[] _states;
        internal readonly ulong[] Cost;

        internal TrialSink(int contexts)
        {
            _states = new NnrContext[contexts * NnrTables.InitializationCount];
            Cost = new ulong[_states.Length];
            for (int c = 0; c < contexts; c++)
                for (int i = 0; i < NnrTables.InitializationCount; i++)
                    _states[c * NnrTables.InitializationCount + i] = NnrContext.Create(i);
        }

        public void Bin(int context, int bin)
        {
            int at = context * NnrTables.InitializationCount;
            for (int i = 0; i < NnrTables.InitializationCount; i++)
            {
                ref var state = ref _states[at + i];
                Cost[at + i] += CostByClass[state.ProbabilityClass, bin == state.MostProbableBin ? 0 : 1];
                state.Update(bin);
            }
        }

        public void Bypass(uint value, int count) { }
    }
}
