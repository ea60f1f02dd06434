namespace ECQx.Quantization;

/// <summary>
/// The 5-statistic vote that puts the extra level of a signed grid on the heavier side (spec §a.3 step 5).
/// Each test gives POS a point when strictly true, otherwise NEG (a NaN statistic, e.g. the mean of no entries
/// or the unbiased std of one entry, therefore votes NEG, as in the reference). POS wins only with a majority.
/// Statistics are computed in double precision (the reference uses float32; only exact near-ties can differ).
/// </summary>
/// <param name="AbsExtremes">(i) <c>|max W| &gt; |min W|</c>.</param>
/// <param name="Means">(ii) mean of the positive entries &gt; |mean of the negative entries|.</param>
/// <param name="Counts">(iii) count of positive entries &gt; count of negative entries.</param>
/// <param name="Sums">(iv) sum of the positive entries &gt; sum of |negative entries|.</param>
/// <param name="Stds">(v) unbiased std of the positive entries &gt; unbiased std of the negative entries.</param>
public sealed record SignVote(bool AbsExtremes, bool Means, bool Counts, bool Sums, bool Stds)
{
    /// <summary>Points for the positive side.</summary>
    public int Positive => (AbsExtremes ? 1 : 0) + (Means ? 1 : 0) + (Counts ? 1 : 0) + (Sums ? 1 : 0) + (Stds ? 1 : 0);

    /// <summary>Points for the negative side.</summary>
    public int Negative => 5 - Positive;

    /// <summary>True when the extra level goes to the positive side (grid <c>−2^(b−1)+1 … 2^(b−1)</c>).</summary>
    public bool PositiveIsHeavier => Positive > Negative;
}
