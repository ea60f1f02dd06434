namespace ECQx.Results;

/// <summary>Two methods' accuracies at the same sparsity, for one bit width (see <c>ECQx.Experiments.MatchedSparsity.Compare</c>).</summary>
/// <param name="BitWidth">Bit width of both curves.</param>
/// <param name="SparsityPercent">The sparsity both accuracies are read at.</param>
/// <param name="AccuracyA">The first method's interpolated accuracy there (%).</param>
/// <param name="AccuracyB">The second method's interpolated accuracy there (%).</param>
public sealed record MatchedSparsityPoint(int BitWidth, double SparsityPercent, double AccuracyA, double AccuracyB)
{
    /// <summary><see cref="AccuracyB"/> − <see cref="AccuracyA"/> in percentage points (positive: the second method is better).</summary>
    public double Difference => AccuracyB - AccuracyA;
}
