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
        Tensor Flat, BreakpointSearch Search, Tensor RelAbs, double RelMin, double RelMax, long EcqZeroCount, long N,
        int ZeroIndex, double[] Centroids, double[] Offsets, int[] Occupied, Device Device, string Name);

    /// <summary>A corrected assignment: per weight (int32, flat) an index into <paramref name="ClusterOf"/>, the centroid indices.</summary>
    internal readonly record struct Corrected(Tensor Index, int[] ClusterOf);

    /// <summary>Runs the β search; returns the corrected assignment, or null to keep the ECQ assignment.</summary>
    public static (Corrected? Assignment, EcqxSearchReport Report) Run(Context ctx, EcqxOptions o)
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

        var (piece, clusterOf, thresholds) = Thresholds(ctx, ctx.Occupied.Where(k => k != k0).ToArray(), o.Rho);

        double beta = beta0, betaUsed = double.NaN;
        int t = 0, evaluations = 0;
        long zeroCountX = 0;
        // Every evaluation walks the layer in cache-sized chunks through one reused buffer: r = exp(β·ln R̃) in place, then
        // 1.0 where the zero cluster wins (r < Q), whose sum is the zero count (exact: a sum of ones below 2⁵³). The same
        // element-wise operations as on the whole layer at once, so the same result, but each evaluation reads ln R̃ and Q
        // from memory once instead of streaming five layer-sized tensors through it, and no layer-sized temporary is made.
        var chunks = new EvaluationChunks(logR, thresholds);
        while (OutsideWindow(sX, sE, o.P))
        {
            betaUsed = beta;
            zeroCountX = chunks.ZeroWins(beta);
            evaluations++;
            sX = zeroCountX / (double)n;
            beta *= 1 + o.StepAt(t) * Math.Sign(ctx.EcqZeroCount - zeroCountX);
            beta = Math.Min(beta, 1);
            if (t >= o.MaxIterations) break;
            t++;
        }

        // The indices at β_used: the zero cluster (the last entry of clusterOf) where it wins, else the best non-zero cluster.
        var index = chunks.Assign(betaUsed, piece, clusterOf.Length - 1);
        var report = new EcqxSearchReport
        {
            Skipped = EcqxSkipReason.None, EcqSparsity = sE, EcqxSparsity = sX, InitialBeta = beta0, Beta = betaUsed,
            BetaAfterLastUpdate = beta, Iterations = evaluations, Converged = !OutsideWindow(sX, sE, o.P),
            MeanNormalizedRelevance = mean,
        };
        return (new Corrected(index.MoveToOuterDisposeScope(), clusterOf), report);
    }

    /// <summary>Elements per chunk of a β evaluation: 1 MB of doubles, so a chunk's temporaries stay in the CPU's cache.</summary>
    internal const long ChunkElements = 1 << 17;

    /// <summary>The (start, length) of each chunk of a layer of <paramref name="n"/> elements, the last one ragged.</summary>
    private static IEnumerable<(long Start, long Length)> Chunks(long n)
    {
        for (long start = 0; start < n; start += ChunkElements) yield return (start, Math.Min(ChunkElements, n - start));
    }

    /// <summary>
    /// The β evaluations of one layer over fixed chunks of <c>ln R̃</c> (views made once) and their thresholds <c>Q</c>,
    /// through one chunk-sized buffer. Owned by the caller's dispose scope.
    /// </summary>
    private sealed class EvaluationChunks
    {
        private readonly List<(long Start, Tensor LogR, Tensor Threshold, Tensor Buffer)> _chunks = new();
        private readonly Tensor _count;

        public EvaluationChunks(Tensor logR, IReadOnlyList<Tensor> thresholds)
        {
            long n = logR.numel();
            var buffer = torch.empty(Math.Min(n, ChunkElements), ScalarType.Float64, logR.device);
            int i = 0;
            foreach (var (start, length) in Chunks(n))
                _chunks.Add((start, logR.narrow(0, start, length), thresholds[i++], buffer.narrow(0, 0, length)));
            _count = torch.zeros(1, ScalarType.Float64, logR.device);
        }

        /// <summary>The number of weights whose zero cluster wins at <paramref name="beta"/>: #{exp(β·ln R̃) &lt; Q} (one host sync).</summary>
        public long ZeroWins(double beta)
        {
            using var b = beta.ToScalar();
            using var one = 1.ToScalar();
            _count.zero_();
            foreach (var (_, logR, threshold, buffer) in _chunks)
            {
                Wins(buffer, logR, threshold, b);
                using var sum = buffer.sum();
                _count.add_(sum, one);
            }
            return (long)_count.item<double>();
        }

        /// <summary>
        /// <paramref name="piece"/> (int32, flat), filled in place with <paramref name="zeroPiece"/> where the zero cluster
        /// wins at <paramref name="beta"/>, and returned.
        /// </summary>
        public Tensor Assign(double beta, Tensor piece, int zeroPiece)
        {
            using var b = beta.ToScalar();
            using var zero = 0.0.ToScalar();
            using var fill = zeroPiece.ToScalar();
            foreach (var (start, logR, threshold, buffer) in _chunks)
            {
                Wins(buffer, logR, threshold, b);
                using var wins = buffer.ne(zero);
                using var part = piece.narrow(0, start, logR.numel());
                part.masked_fill_(wins, fill);
            }
            return piece;
        }

        // 1.0 where exp(β·ln R̃) < Q, else 0.0; the operations the whole-layer evaluation used, element by element.
        // The scalars of these loops are explicit and outlive every call: TorchSharp hands an implicit Scalar (mul_(0.5),
        // add_(t)'s alpha of 1) to native code by handle without keeping the object alive, so a collection on another
        // thread during the call could finalize it first (seen once, right after a forced collection).
        private static void Wins(Tensor buffer, Tensor logR, Tensor threshold, Scalar beta) =>
            buffer.copy_(logR).mul_(beta).exp_().lt_(threshold);
    }

    /// <summary>
    /// Per weight: which piece of the lower envelope of the non-zero clusters it falls on (int32, flat; the piece's
    /// cluster is <c>ClusterOf[piece]</c>, whose last entry, one past the pieces, is the zero cluster) and the threshold
    /// Q = m/(ρ·z) its relevance factor must stay under for the zero cluster to win (nudged up by one ulp where ties go
    /// to zero), one tensor per chunk of <see cref="Chunks"/>. Computed chunk by chunk, so the double-precision
    /// temporaries are a chunk's, not the layer's.
    /// </summary>
    private static (Tensor Piece, int[] ClusterOf, List<Tensor> Thresholds) Thresholds(Context ctx, int[] nonZero, double rho)
    {
        long n = ctx.N;
        int k0 = ctx.ZeroIndex;
        var thresholds = new List<Tensor>();
        if (nonZero.Length == 0)
        {
            // Only the zero cluster is occupied: it wins everywhere (r < ∞).
            foreach (var (_, length) in Chunks(n))
                thresholds.Add(torch.full(length, double.PositiveInfinity, ScalarType.Float64, ctx.Device));
            return (torch.zeros(n, ScalarType.Int32, ctx.Device), new[] { k0 }, thresholds);
        }
        // Best non-zero cluster of every weight (which piece of the lower envelope it falls on) and its cost m = (c − w)² + λ_l·I.
        var (clusters, breaks) = LowerEnvelope.Build(ctx.Centroids, ctx.Offsets, nonZero);
        var piece = ctx.Search.CountBelow(breaks);
        using var scope = torch.NewDisposeScope();
        var centroidT = torch.tensor(clusters.Select(k => ctx.Centroids[k]).ToArray(), device: ctx.Device);
        var offsetT = torch.tensor(clusters.Select(k => ctx.Offsets[k]).ToArray(), device: ctx.Device);
        // Ties (ρ·z·r == m) go to the lower index: zero wins them only against a higher non-zero cluster,
        // i.e. r ≤ Q there, which is r < nextafter(Q, +∞).
        var aboveZeroT = torch.tensor(clusters.Select(k => k > k0).ToArray(), device: ctx.Device);
        using var infinity = torch.tensor(double.PositiveInfinity, ScalarType.Float64, ctx.Device);
        foreach (var (start, length) in Chunks(n))
        {
            using var chunkScope = torch.NewDisposeScope();
            var p = piece.narrow(0, start, length);
            var w = ctx.Flat.narrow(0, start, length).to_type(ScalarType.Float64);
            var m = centroidT.index_select(0, p);
            m.sub_(w);
            m.mul_(m); // (c − w)², as square() computes it
            m.add_(offsetT.index_select(0, p));
            var z = w.square().add_(ctx.Offsets[k0]);
            var q = m.div_(z.mul_(rho)); // Q = m/(ρ·z), in place
            thresholds.Add(torch.where(aboveZeroT.index_select(0, p), torch.nextafter(q, infinity), q).MoveToOuterDisposeScope());
        }
        foreach (var t in thresholds) t.MoveToOuterDisposeScope(); // into the caller's scope
        return (piece, clusters.Append(k0).ToArray(), thresholds);
    }

    private static bool OutsideWindow(double sX, double sE, double p) => sX > sE || sX < sE - p;

    private static EcqxSearchReport Skip(EcqxSkipReason reason, double sparsity) =>
        new() { Skipped = reason, EcqSparsity = sparsity, EcqxSparsity = sparsity, Converged = true };
}
