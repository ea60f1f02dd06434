using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>
/// The ECQ assignment of one tensor (spec §a.4 steps 1–9, 11) and, when relevance is given, the ECQx
/// correction (step 10). Vectorized TorchSharp; every tensor follows the input's device.
/// <para>
/// Exactness: the assignment is the argmin of <c>(c_k − w)² + λ_l·I_k</c> evaluated exactly in double precision
/// for the given weights and the float32 centroids, ties to the lower level (as <c>torch.argmin</c>). It is
/// computed as a lower envelope of K lines (see <see cref="LowerEnvelope"/>) and a table-driven search of each
/// weight among its breakpoints (see <see cref="BreakpointSearch"/>), never as a K×n matrix. The reference
/// evaluates the same cost in float32, so results can differ only for weights within float32 rounding of a
/// decision boundary. Per-cluster quantities (PMF, I, λ*, δ, λ_l) are
/// computed in double on the host from one histogram.
/// </para>
/// <para>
/// Cost per call: about a dozen cheap passes over the weights and three host syncs (min/max, two histograms);
/// temporaries are freed before returning.
/// </para>
/// </summary>
public static class EntropyConstrainedQuantizer
{
    /// <summary>
    /// Quantizes one tensor with ECQ, and with the ECQx relevance correction when <paramref name="relevance"/> is given.
    /// </summary>
    /// <param name="weights">Full-precision (background) weights, any floating dtype, any device.</param>
    /// <param name="codebook">The tensor's fixed codebook (<see cref="Codebook.FromWeights"/>).</param>
    /// <param name="options">ECQ options (default <see cref="EcqOptions.Default"/>).</param>
    /// <param name="nMax">Size of the largest quantized tensor of the model (for the layer decay δ); ≥ the tensor's size.</param>
    /// <param name="name">Tensor name, used in messages and statistics.</param>
    /// <param name="relevance">Accumulated (signed) relevance with the weights' shape, or null for plain ECQ.</param>
    /// <param name="ecqx">ECQx options (default <see cref="EcqxOptions.Default"/>); used only with relevance.</param>
    /// <returns>Levels (int64), values (input dtype), statistics, and the ECQx report when relevance was given.</returns>
    /// <exception cref="ArgumentException">Empty or non-float tensor, bad options, nMax smaller than the tensor, relevance shape mismatch.</exception>
    /// <exception cref="InvalidDataException">NaN/infinite weights or relevance; no weight nearest to zero (Λ &gt; 0); all-zero relevance (default policy).</exception>
    public static EcqAssignment Assign(
        Tensor weights, Codebook codebook, EcqOptions? options, long nMax, string name = "tensor",
        Tensor? relevance = null, EcqxOptions? ecqx = null) =>
        Assign(weights, codebook, options, nMax, name, relevance, ecqx, withLevels: true);

    /// <summary>
    /// <see cref="Assign(Tensor, Codebook, EcqOptions?, long, string, Tensor?, EcqxOptions?)"/>, with the levels left out
    /// when <paramref name="withLevels"/> is false (the trainer writes values only; VGG16: 120 MB of int64 levels a step
    /// not written, nor allocated among the step's temporaries).
    /// </summary>
    internal static EcqAssignment Assign(
        Tensor weights, Codebook codebook, EcqOptions? options, long nMax, string name,
        Tensor? relevance, EcqxOptions? ecqx, bool withLevels)
    {
        ArgumentNullException.ThrowIfNull(codebook);
        name ??= "tensor";
        options ??= EcqOptions.Default;
        options.Validate();
        TensorChecks.RequireFloating(weights, name, "weights");
        TensorChecks.RequireNonEmpty(weights, name, "weights");
        codebook.ThrowIfDisposed();
        long n = weights.numel();
        if (nMax < n)
            throw new ArgumentOutOfRangeException(nameof(nMax), nMax, $"n_max ({nMax}) must be ≥ the size of tensor '{name}' ({n}).");
        if (relevance is not null)
        {
            ecqx ??= EcqxOptions.Default;
            ecqx.Validate();
            TensorChecks.RequireFloating(relevance, name, "relevance");
            if (!relevance.shape.SequenceEqual(weights.shape))
                throw new ArgumentException(
                    $"Relevance of tensor '{name}' has shape [{string.Join(", ", relevance.shape)}] but the weights have shape " +
                    $"[{string.Join(", ", weights.shape)}].", nameof(relevance));
        }

        using var scope = torch.NewDisposeScope();
        var device = weights.device;
        var shape = weights.shape;
        var work = TensorChecks.WorkType(weights);
        var flat = weights.detach().reshape(-1);
        if (flat.dtype != work) flat = flat.to_type(work);
        var (min, max) = TensorChecks.MinMax(flat);
        TensorChecks.RequireFinite(flat, min, max, name, "weights");

        Tensor? relAbs = null;
        double relMin = double.NaN, relMax = double.NaN;
        if (relevance is not null)
        {
            var relFlat = relevance.detach().reshape(-1).to(device);
            relAbs = relFlat.abs().to_type(ScalarType.Float64);
            (relMin, relMax) = TensorChecks.MinMax(relAbs);
            TensorChecks.RequireFinite(relFlat, relMin, relMax, name, "relevance values");
        }

        int k0 = codebook.ZeroIndex;
        int kCount = codebook.Count;
        var identity = Enumerable.Range(0, kCount).ToArray();
        var warnings = new List<string>();
        EcqDiagnostics? diagnostics = null;
        EcqxSearchReport? report = null;
        Tensor index;          // per weight: an index into `clusterOf`
        int[] clusterOf;       // index value → centroid index
        long[]? hist = null;   // per centroid index, when already known

        if (min == 0 && max == 0)
        {
            // Spec §a.2: an all-zero tensor is left unchanged.
            var levels0 = withLevels ? torch.zeros(shape, ScalarType.Int64, device) : null;
            var values0 = weights.detach().clone();
            var h = new long[kCount];
            h[k0] = n;
            if (relevance is not null) report = Skip(EcqxSkipReason.AllZeroWeights, 1.0);
            var stats0 = new TensorQuantStats { Name = name, Count = n, MinLevel = codebook.MinLevel, Histogram = h, AllZeroInput = true };
            return new EcqAssignment(levels0?.MoveToOuterDisposeScope(), values0.MoveToOuterDisposeScope(), stats0, report);
        }

        if (codebook.IsDegenerate)
        {
            warnings.Add($"codebook of '{codebook.Name}' has Δ = 0 (built from an all-zero tensor): every weight maps to level 0");
            index = torch.zeros(n, ScalarType.Int32, device);
            clusterOf = new[] { k0 };
            if (relevance is not null) report = Skip(EcqxSkipReason.DegenerateCodebook, 1.0);
        }
        else if (options.Lambda == 0)
        {
            index = BreakpointSearch.Count(flat, codebook.NearestBreaks, min, max, work, device);
            clusterOf = identity;
            if (relevance is not null)
            {
                hist = Histogram(index, clusterOf, kCount);
                report = Skip(EcqxSkipReason.LambdaZero, hist[k0] / (double)n);
            }
        }
        else
        {
            // One cell grid over the weights serves all of this tensor's breakpoint searches.
            using var search = BreakpointSearch.Over(flat, min, max, work, device);
            // Steps 1–3: nearest-centroid counts and the biased PMF.
            long[] counts;
            using (var nearest = search.CountBelow(codebook.NearestBreaks))
                counts = Histogram(nearest, identity, kCount);
            if (counts[k0] == 0)
                throw new InvalidDataException(
                    $"No weight of tensor '{name}' is nearest to the zero centroid (weights in [{min:G6}, {max:G6}], " +
                    $"Δ = {codebook.Step:G6}), so the zero-biased PMF is undefined (spec §a.4 step 3). The codebook does not fit these weights.");

            double[] pmf = EcqMath.Pmf(counts, k0, options.PmfBias);
            double[] info = EcqMath.InformationContent(pmf);
            var c = codebook.CentroidValues.Select(v => (double)v).ToArray();
            var occupied = identity.Where(k => counts[k] > 0).ToArray();
            int kMinus = occupied[0], kPlus = occupied[^1];

            // Steps 5–7: λ_max, layer decay, effective λ.
            var lambdaMax = EcqMath.LambdaMax(options.LambdaMaxVariant, k0,
                kMinus, c[kMinus], min, info[kMinus], kPlus, c[kPlus], max, info[kPlus], info[k0]);
            if (lambdaMax.Note is string note) warnings.Add("λ_max: " + note);
            double decay = EcqMath.LayerDecay(n, nMax, options.Sustain);
            double lambdaL = options.Lambda * decay * lambdaMax.Value;

            // Steps 8–9: argmin_k (c_k − w)² + λ_l·I_k over the occupied clusters (empty ones have I = +∞).
            var offsets = new double[kCount];
            for (int k = 0; k < kCount; k++) offsets[k] = counts[k] > 0 ? lambdaL * info[k] : double.PositiveInfinity;
            var (clusters, breaks) = LowerEnvelope.Build(c, offsets, occupied);
            index = search.CountBelow(breaks);
            clusterOf = clusters;

            diagnostics = new EcqDiagnostics
            {
                NearestCounts = counts, Pmf = pmf, Information = info, LambdaMax = lambdaMax, LayerDecay = decay,
                Lambda = options.Lambda, EffectiveLambda = lambdaL, ExtremeClusters = (kMinus, kPlus), WeightRange = (min, max),
            };

            if (relevance is not null)
            {
                hist = Histogram(index, clusterOf, kCount);
                var ctx = new RelevanceCorrection.Context(flat, search, relAbs!, relMin, relMax, hist[k0], n, k0, c, offsets, occupied, device, name);
                var (corrected, ecqxReport) = RelevanceCorrection.Run(ctx, ecqx!);
                report = ecqxReport;
                if (corrected is { } x)
                {
                    index = x.Index;
                    clusterOf = x.ClusterOf;
                    hist = null;
                }
            }
        }

        hist ??= Histogram(index, clusterOf, kCount);
        var clusterT = torch.tensor(clusterOf.Select(k => (long)k).ToArray(), device: device);
        var levels = withLevels ? (clusterT + (long)codebook.MinLevel).index_select(0, index).reshape(shape) : null;
        var values = codebook.CentroidsFor(device, weights.dtype).index_select(0, clusterT).index_select(0, index).reshape(shape);
        var stats = new TensorQuantStats
        {
            Name = name, Count = n, MinLevel = codebook.MinLevel, Histogram = hist, Ecq = diagnostics, Warnings = warnings,
        };
        return new EcqAssignment(levels?.MoveToOuterDisposeScope(), values.MoveToOuterDisposeScope(), stats, report);
    }

    /// <summary>
    /// Plain nearest-centroid assignment (the Λ = 0 case of <see cref="Assign"/>), ties to the lower level.
    /// </summary>
    public static EcqAssignment AssignNearest(Tensor weights, Codebook codebook, string name = "tensor") =>
        Assign(weights, codebook, EcqOptions.Default with { Lambda = 0 }, weights?.numel() ?? 0, name);

    /// <summary>Per-centroid counts of an assignment given as indices into <paramref name="clusterOf"/> (one host sync).</summary>
    internal static long[] Histogram(Tensor index, int[] clusterOf, int kCount)
    {
        using var counts = index.bincount(null, clusterOf.Length);
        using var host = counts.cpu();
        var perIndex = host.data<long>().ToArray();
        var hist = new long[kCount];
        for (int j = 0; j < clusterOf.Length; j++) hist[clusterOf[j]] += perIndex[j];
        return hist;
    }

    private static EcqxSearchReport Skip(EcqxSkipReason reason, double sparsity) =>
        new() { Skipped = reason, EcqSparsity = sparsity, EcqxSparsity = sparsity, Converged = true };
}
