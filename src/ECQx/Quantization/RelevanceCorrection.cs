using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>
/// The ECQx relevance correction of spec §a.4 step 10.
/// <para>
/// Only the zero-cluster row of the cost is rescaled, so for every weight the choice is between the zero
/// cluster (cost <c>z = w² + λ_l·I_0</c>) and the best non-zero cluster (cost <c>m</c>, found once with the
/// lower envelope). The zero cluster wins when <c>ρ·z·r &lt; m</c>, or on a tie when the best non-zero cluster has
/// the higher index (argmin ties go to the lower index). With <c>r = exp(β·ln(R̃ + 1e-12))</c> and
/// <c>Q = m/(ρ·z)</c> precomputed, each β evaluation is one multiply, one exp, one compare and one count —
/// no K×n cost matrix. Everything per weight is in double precision.
/// </para>
/// </summary>
internal static class RelevanceCorrection
{
    /// <summary>The reference's relevance normaliser and pow offset.</summary>
    public const double Epsilon = 1e-12;

    internal sealed record Context(
        Tensor Flat, double WMin, double WMax, Tensor RelAbs, double RelMin, double RelMax, long EcqZeroCount, long N,
        int ZeroIndex, double[] Centroids, double[] Offsets, int[] Occupied, ScalarType Work, Device Device, string Name);

    /// <summary>Runs the β search; returns the corrected centroid indices (int64, flat), or null to keep the ECQ assignment.</summary>
    public static (Tensor? Index, EcqxSearchReport Report) Run(Context ctx, EcqxOptions o)
    {
        long n = ctx.N;
        int k0 = ctx.ZeroIndex;
        double sE = ctx.EcqZeroCount / (double)n;

        if (ctx.RelMax == 0)
        {
            if (o.ZeroRelevance == ZeroRelevancePolicy.Throw)
                throw new InvalidDataException(
                    $"The relevance of tensor '{ctx.Name}' is zero everywhere ({n} values), so ECQx cannot rank its weights " +
                    "(spec §a.4 step 10). Check the relevance method, or set EcqxOptions.ZeroRelevance = KeepEcqAssignment.");
            return (null, Skip(EcqxSkipReason.AllZeroRelevance, sE));
        }

        // The reference's loop starts with s_X = 0 and runs while s_X ∉ [s_E − p, s_E].
        double sX = 0;
        if (!OutsideWindow(sX, sE, o.P)) return (null, Skip(EcqxSkipReason.SparsityWithinSlack, sE));
        if (ctx.RelMin == ctx.RelMax) return (null, Skip(EcqxSkipReason.UniformRelevance, sE));

        using var scope = torch.NewDisposeScope();
        var normalized = ctx.RelAbs / (ctx.RelMax + Epsilon);
        double mean = normalized.mean().item<double>();
        if (!(mean < 1)) return (null, Skip(EcqxSkipReason.UniformRelevance, sE) with { MeanNormalizedRelevance = mean });
        double beta0 = Math.Log(0.5) / Math.Log(mean);
        var logR = normalized.add_(Epsilon).log_();

        var nonZero = ctx.Occupied.Where(k => k != k0).ToArray();
        Tensor nzIdx, threshold;
        if (nonZero.Length == 0)
        {
            nzIdx = torch.full(n, (long)k0, ScalarType.Int64, ctx.Device);
            threshold = torch.full(n, double.PositiveInfinity, ScalarType.Float64, ctx.Device);
        }
        else
            (nzIdx, threshold) = Thresholds(ctx, nonZero, o.Rho);

        double beta = beta0, betaUsed = double.NaN;
        int t = 0, evaluations = 0;
        long zeroCountX = 0;
        // Every evaluation reuses one buffer: r = exp(β·ln R̃) in place, then 1.0 where the zero cluster wins (r < Q), whose
        // sum is the zero count (exact: a sum of ones below 2⁵³). The same element-wise operations as a fresh tensor per β,
        // without allocating (and faulting in) two tensors of the layer per evaluation.
        var buffer = torch.empty_like(logR);
        while (OutsideWindow(sX, sE, o.P))
        {
            betaUsed = beta;
            buffer.copy_(logR).mul_(beta).exp_().lt_(threshold);
            using (var count = buffer.sum())
                zeroCountX = (long)count.item<double>();
            evaluations++;
            sX = zeroCountX / (double)n;
            beta *= 1 + o.StepAt(t) * Math.Sign(ctx.EcqZeroCount - zeroCountX);
            beta = Math.Min(beta, 1);
            if (t >= o.MaxIterations) break;
            t++;
        }

        // The buffer holds the last evaluation's wins, which is that of β_used.
        using var zeroWins = buffer.ne(0.0);
        var index = nzIdx.masked_fill(zeroWins, k0);
        var report = new EcqxSearchReport
        {
            Skipped = EcqxSkipReason.None, EcqSparsity = sE, EcqxSparsity = sX, InitialBeta = beta0, Beta = betaUsed,
            BetaAfterLastUpdate = beta, Iterations = evaluations, Converged = !OutsideWindow(sX, sE, o.P),
            MeanNormalizedRelevance = mean,
        };
        return (index.MoveToOuterDisposeScope(), report);
    }

    /// <summary>
    /// Per weight: its best non-zero cluster and the threshold Q = m/(ρ·z) its relevance factor must stay under for the
    /// zero cluster to win (nudged up by one ulp where ties go to zero). The double-precision temporaries are freed as
    /// soon as they are used, so the peak is a few tensors of the layer, not all of them at once.
    /// </summary>
    private static (Tensor NearestNonZero, Tensor Threshold) Thresholds(Context ctx, int[] nonZero, double rho)
    {
        using var scope = torch.NewDisposeScope();
        var w = ctx.Flat.dtype == ScalarType.Float64 ? ctx.Flat : ctx.Flat.to_type(ScalarType.Float64);
        var z = w.square().add_(ctx.Offsets[ctx.ZeroIndex]);
        // Best non-zero cluster of every weight and its cost m = (c − w)² + λ_l·I.
        var (clusters, breaks) = LowerEnvelope.Build(ctx.Centroids, ctx.Offsets, nonZero);
        var piece = BreakpointSearch.Count(ctx.Flat, breaks, ctx.WMin, ctx.WMax, ctx.Work, ctx.Device);
        var nzIdx = torch.tensor(clusters.Select(k => (long)k).ToArray(), device: ctx.Device).index_select(0, piece);
        var m = torch.tensor(clusters.Select(k => ctx.Centroids[k]).ToArray(), device: ctx.Device).index_select(0, piece);
        m.sub_(w);
        m.mul_(m); // (c − w)², as square() computes it
        using (var offsets = torch.tensor(clusters.Select(k => ctx.Offsets[k]).ToArray(), device: ctx.Device).index_select(0, piece))
            m.add_(offsets);
        piece.Dispose();
        if (!ReferenceEquals(w, ctx.Flat)) w.Dispose();
        var q = m.div_(z.mul_(rho)); // Q = m/(ρ·z), in place
        z.Dispose();
        // Ties (ρ·z·r == m) go to the lower index: zero wins them only against a higher non-zero cluster,
        // i.e. r ≤ Q there, which is r < nextafter(Q, +∞).
        Tensor threshold;
        using (var infinity = torch.tensor(double.PositiveInfinity, ScalarType.Float64, ctx.Device))
        using (var up = torch.nextafter(q, infinity))
        using (var higher = nzIdx.gt(ctx.ZeroIndex))
            threshold = torch.where(higher, up, q);
        q.Dispose();
        return (nzIdx.MoveToOuterDisposeScope(), threshold.MoveToOuterDisposeScope());
    }

    private static bool OutsideWindow(double sX, double sE, double p) => sX > sE || sX < sE - p;

    private static EcqxSearchReport Skip(EcqxSkipReason reason, double sparsity) =>
        new() { Skipped = reason, EcqSparsity = sparsity, EcqxSparsity = sparsity, Converged = true };
}
