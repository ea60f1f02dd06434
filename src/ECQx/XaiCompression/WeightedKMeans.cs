using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>Options of <see cref="WeightedKMeans.Fit"/>.</summary>
public sealed record KMeansOptions
{
    /// <summary>Number of clusters K (≥ 1).</summary>
    public int Clusters { get; init; } = 16;
    /// <summary>Maximum Lloyd iterations after seeding.</summary>
    public int MaxIterations { get; init; } = 50;
    /// <summary>Seed of the k-means++ sampling.</summary>
    public long Seed { get; init; } = 808;
    /// <summary>Values per assignment chunk is at most this many distances (memory bound of the argmin).</summary>
    public long ChunkElements { get; init; } = 1 << 22;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Clusters < 1 || Clusters > 65536) throw new ArgumentException($"clusters must be in [1, 65536] (got {Clusters})");
        if (MaxIterations < 0) throw new ArgumentException($"max iterations must be ≥ 0 (got {MaxIterations})");
        if (ChunkElements < 1) throw new ArgumentException($"chunk elements must be ≥ 1 (got {ChunkElements})");
    }
}

/// <summary>Result of <see cref="WeightedKMeans.Fit"/>; owns its tensors.</summary>
/// <param name="Centroids">K centroids, ascending (float64).</param>
/// <param name="Assignment">Cluster index per value (int64, the values' shape).</param>
/// <param name="Objective">Weighted objective <c>Σ v_i (x_i − c_{a_i})²</c> after seeding and after every iteration (non-increasing).</param>
/// <param name="Iterations">Lloyd iterations run.</param>
public sealed record KMeansResult(Tensor Centroids, Tensor Assignment, IReadOnlyList<double> Objective, int Iterations) : IDisposable
{
    /// <summary>The values replaced by their centroids (float64, the values' shape).</summary>
    public Tensor Quantized() => Centroids.index_select(0, Assignment.reshape(-1)).reshape(Assignment.shape);

    /// <inheritdoc />
    public void Dispose() { Centroids.Dispose(); Assignment.Dispose(); }
}

/// <summary>
/// Weighted 1-D k-means (Lloyd) with weighted k-means++ seeding, vectorised: assignment by argmin over the K
/// centroids (chunked), update by weighted per-cluster means (<c>index_add</c> of <c>v·x</c> and <c>v</c>); an empty
/// cluster keeps its centroid. Objective <c>J = Σ_i v_i (x_i − c_{a_i})²</c>; each step cannot increase it
/// (computed in float64). Stops when the assignment no longer changes.
/// </summary>
public static class WeightedKMeans
{
    /// <summary>Clusters <paramref name="values"/> with optional non-negative per-value <paramref name="weights"/> (same shape; null = all 1).</summary>
    public static KMeansResult Fit(Tensor values, Tensor? weights, KMeansOptions options)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (values.numel() == 0) throw new ArgumentException("cannot cluster an empty tensor");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = values.detach().reshape(-1).to(float64);
        if (!x.isfinite().all().item<bool>()) throw new ArgumentException("values to cluster contain NaN or infinite entries");
        Tensor v;
        if (weights is null) v = ones_like(x);
        else
        {
            if (!weights.shape.SequenceEqual(values.shape)) throw new ArgumentException($"weights shape [{string.Join(", ", weights.shape)}] differs from values [{string.Join(", ", values.shape)}]");
            v = weights.detach().reshape(-1).to(float64).to(x.device);
            if (!v.isfinite().all().item<bool>() || v.lt(0).any().item<bool>()) throw new ArgumentException("cluster weights must be finite and ≥ 0");
            if (v.sum().item<double>() <= 0) throw new ArgumentException("cluster weights sum to zero");
        }
        int k = options.Clusters;
        var c = Seed(x, v, k, options.Seed);
        var a = Assign(x, c, options.ChunkElements);
        var objective = new List<double> { Objective(x, v, c, a) };
        int it = 0;
        for (; it < options.MaxIterations; it++)
        {
            c = Update(x, v, c, a);
            var next = Assign(x, c, options.ChunkElements);
            bool same = next.eq(a).all().item<bool>();
            a = next;
            objective.Add(Objective(x, v, c, a));
            if (same) { it++; break; }
        }
        // sort centroids ascending and relabel
        var (sorted, order) = c.sort();
        var rank = empty_like(order).index_put_(arange(k, int64, c.device), order);
        var assignment = rank.index_select(0, a).reshape(values.shape);
        return new KMeansResult(sorted.MoveToOuterDisposeScope(), assignment.MoveToOuterDisposeScope(), objective, it);
    }

    /// <summary>Weighted k-means++: first centroid ∝ v, then ∝ v·D² (D = distance to the nearest chosen centroid).</summary>
    internal static Tensor Seed(Tensor x, Tensor v, int k, long seed)
    {
        using var gen = new Generator(unchecked((ulong)seed), x.device);
        var chosen = new List<Tensor>();
        var first = multinomial(v.to(float32), 1, generator: gen);
        chosen.Add(x.index_select(0, first));
        var d2 = (x - chosen[0]).square();
        for (int j = 1; j < k; j++)
        {
            var p = v * d2;
            var total = p.sum().item<double>();
            Tensor idx = total > 0 ? multinomial(p.to(float32).clamp_min(0), 1, generator: gen) : first;
            var cj = x.index_select(0, idx);
            chosen.Add(cj);
            d2 = minimum(d2, (x - cj).square());
        }
        return cat(chosen, 0);
    }

    /// <summary>Nearest centroid per value (argmin over K; ties to the lower index), in chunks.</summary>
    internal static Tensor Assign(Tensor x, Tensor c, long chunkElements)
    {
        long n = x.numel(), k = c.numel();
        long chunk = Math.Max(1, chunkElements / Math.Max(1, k));
        if (chunk >= n) return (x.unsqueeze(1) - c.unsqueeze(0)).square().argmin(1);
        var parts = new List<Tensor>();
        for (long s = 0; s < n; s += chunk)
        {
            using var inner = NewDisposeScope();
            var xs = x.narrow(0, s, Math.Min(chunk, n - s));
            parts.Add((xs.unsqueeze(1) - c.unsqueeze(0)).square().argmin(1).MoveToOuterDisposeScope());
        }
        return cat(parts, 0);
    }

    /// <summary>Weighted means per cluster; an empty (zero-weight) cluster keeps its centroid.</summary>
    internal static Tensor Update(Tensor x, Tensor v, Tensor c, Tensor a)
    {
        long k = c.numel();
        var num = zeros(k, float64, x.device).index_add_(0, a, v * x, 1.0);
        var den = zeros(k, float64, x.device).index_add_(0, a, v, 1.0);
        return where(den.gt(0), num / den.clamp_min(double.Epsilon), c);
    }

    /// <summary><c>Σ v_i (x_i − c_{a_i})²</c>.</summary>
    internal static double Objective(Tensor x, Tensor v, Tensor c, Tensor a) =>
        (v * (x - c.index_select(0, a)).square()).sum().item<double>();
}
