namespace ECQx.Quantization;

/// <summary>What the ECQx correction does when a tensor's relevance is zero everywhere.</summary>
public enum ZeroRelevancePolicy
{
    /// <summary>Throw an <see cref="InvalidDataException"/> naming the tensor (default): the relevance method gave no signal.</summary>
    Throw,

    /// <summary>Keep the plain ECQ assignment and record <see cref="EcqxSkipReason.AllZeroRelevance"/>.</summary>
    KeepEcqAssignment,
}

/// <summary>Options of the ECQx relevance correction (spec §a.4 step 10).</summary>
public sealed record EcqxOptions
{
    /// <summary>The reference defaults (ρ = 2, p = 0.1, 50 iterations, steps 0.1/0.5/0.75 from t = 0/20/40).</summary>
    public static EcqxOptions Default { get; } = new();

    /// <summary>ρ: the zero-cluster cost is multiplied by <c>ρ·r^β</c> (reference: 2).</summary>
    public double Rho { get; init; } = 2.0;

    /// <summary>p: the slack of the target window <c>[s_E − p, s_E]</c> (CLI <c>--p</c>, default 0.1).</summary>
    public double P { get; init; } = 0.1;

    /// <summary>
    /// The loop stops after the evaluation at <c>t ≥ MaxIterations</c> (reference: 50). Because the reference tests
    /// <c>t ≥ 50</c> after evaluating, at most <c>MaxIterations + 1</c> evaluations are done.
    /// </summary>
    public int MaxIterations { get; init; } = 50;

    /// <summary>β step factor κ for <c>t &lt; MediumStepFrom</c> (reference 0.1).</summary>
    public double SlowStep { get; init; } = 0.1;

    /// <summary>β step factor κ for <c>MediumStepFrom ≤ t &lt; FastStepFrom</c> (reference 0.5).</summary>
    public double MediumStep { get; init; } = 0.5;

    /// <summary>β step factor κ for <c>t ≥ FastStepFrom</c> (reference 0.75).</summary>
    public double FastStep { get; init; } = 0.75;

    /// <summary>First iteration that uses <see cref="MediumStep"/> (reference 20).</summary>
    public int MediumStepFrom { get; init; } = 20;

    /// <summary>First iteration that uses <see cref="FastStep"/> (reference 40).</summary>
    public int FastStepFrom { get; init; } = 40;

    /// <summary>What to do when the relevance is zero everywhere (default: throw).</summary>
    public ZeroRelevancePolicy ZeroRelevance { get; init; } = ZeroRelevancePolicy.Throw;

    /// <summary>κ_t for iteration <paramref name="t"/>.</summary>
    public double StepAt(int t) => t >= FastStepFrom ? FastStep : t >= MediumStepFrom ? MediumStep : SlowStep;

    internal void Validate()
    {
        if (!(double.IsFinite(Rho) && Rho > 0))
            throw new ArgumentOutOfRangeException(nameof(Rho), Rho, "ECQx rho must be a finite number > 0.");
        if (!(P >= 0 && P <= 1))
            throw new ArgumentOutOfRangeException(nameof(P), P, "ECQx p must be in [0, 1].");
        if (MaxIterations < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "ECQx MaxIterations must be ≥ 0.");
        foreach (var (n, v) in new[] { (nameof(SlowStep), SlowStep), (nameof(MediumStep), MediumStep), (nameof(FastStep), FastStep) })
            if (!(v >= 0 && v < 1))
                throw new ArgumentOutOfRangeException(n, v, "ECQx β step factors must be in [0, 1) so that β stays positive.");
        if (MediumStepFrom < 0 || FastStepFrom < MediumStepFrom)
            throw new ArgumentOutOfRangeException(nameof(FastStepFrom), FastStepFrom,
                $"ECQx step schedule needs 0 ≤ MediumStepFrom ({MediumStepFrom}) ≤ FastStepFrom ({FastStepFrom}).");
        if (!Enum.IsDefined(ZeroRelevance))
            throw new ArgumentOutOfRangeException(nameof(ZeroRelevance), ZeroRelevance, "Unknown zero-relevance policy.");
    }
}
