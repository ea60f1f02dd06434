namespace ECQx.Quantization;

/// <summary>Why the ECQx β search did not run for a tensor.</summary>
public enum EcqxSkipReason
{
    /// <summary>The search ran.</summary>
    None,

    /// <summary><c>s_E ≤ p</c>: the reference's loop condition is false from the start; the ECQ assignment is kept.</summary>
    SparsityWithinSlack,

    /// <summary>
    /// All |R| are equal (so mean(R̃) = 1 and β = ln 0.5 / ln 1 is infinite in the reference). Uniform relevance says
    /// nothing about which weight matters, so the ECQ assignment is kept. (In exact arithmetic R̃ is slightly below
    /// 1 and the limit is r ≡ 0.5, i.e. the zero cost times ρ/2 — unchanged for the default ρ = 2.)
    /// </summary>
    UniformRelevance,

    /// <summary>The relevance was zero everywhere and <see cref="ZeroRelevancePolicy.KeepEcqAssignment"/> was chosen.</summary>
    AllZeroRelevance,

    /// <summary>Λ = 0: the reference ignores relevance without the entropy constraint; nearest-centroid assignment.</summary>
    LambdaZero,

    /// <summary>The weights were all zero and returned unchanged.</summary>
    AllZeroWeights,

    /// <summary>The codebook is degenerate (Δ = 0, made from an all-zero tensor): every weight maps to level 0.</summary>
    DegenerateCodebook,
}

/// <summary>What the ECQx relevance correction did for one tensor (spec §a.4 step 10).</summary>
public sealed record EcqxSearchReport
{
    /// <summary>Why the search did not run, or <see cref="EcqxSkipReason.None"/>.</summary>
    public required EcqxSkipReason Skipped { get; init; }

    /// <summary>ECQ sparsity s_E (before the correction).</summary>
    public required double EcqSparsity { get; init; }

    /// <summary>Sparsity of the returned assignment (equals <see cref="EcqSparsity"/> when skipped).</summary>
    public required double EcqxSparsity { get; init; }

    /// <summary>β₀ = ln 0.5 / ln mean(R̃) (NaN when skipped before it was computed).</summary>
    public double InitialBeta { get; init; } = double.NaN;

    /// <summary>The β of the last evaluated cost C', i.e. the one that produced the returned assignment (NaN when skipped).</summary>
    public double Beta { get; init; } = double.NaN;

    /// <summary>β after the last update (the value the reference's variable holds at exit; not used for the assignment).</summary>
    public double BetaAfterLastUpdate { get; init; } = double.NaN;

    /// <summary>Number of C' evaluations (0 when skipped; at most MaxIterations + 1).</summary>
    public int Iterations { get; init; }

    /// <summary>True when the final sparsity lies in <c>[s_E − p, s_E]</c> (false when the iteration limit ended the loop).</summary>
    public bool Converged { get; init; }

    /// <summary>Mean of the normalised relevance R̃ (NaN when not computed).</summary>
    public double MeanNormalizedRelevance { get; init; } = double.NaN;
}
