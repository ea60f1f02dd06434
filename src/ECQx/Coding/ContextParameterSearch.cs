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
            var vectorSink = new SimdTrialCostSink(LevelContexts.Total);
            LevelBinarizer.Binarize(levels, shape, ref vectorSink);
            return vectorSink.Finish();
        }
        var sink = new ScalarTrialCostSink(LevelContexts.Total);
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


}
