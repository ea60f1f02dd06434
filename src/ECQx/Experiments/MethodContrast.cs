namespace ECQx.Experiments;

/// <summary>One sweep setting (bit width, Λ) and how differently two methods sparsify the layers there.</summary>
/// <param name="Bits">Bit width.</param>
/// <param name="Lambda">Λ.</param>
/// <param name="MeanAbsLayerDifference">Mean over layers of |sparsity(A) − sparsity(B)| in percentage points.</param>
public sealed record SettingContrast(int Bits, double Lambda, double MeanAbsLayerDifference);

/// <summary>Picks the sweep setting where two methods differ most, e.g. for a per-layer sparsity chart.</summary>
public static class MethodContrast
{
    /// <summary>
    /// Among the (bit width, Λ) settings of <paramref name="model"/> that have a run of both methods, the one with the
    /// largest mean absolute per-layer sparsity difference; ties go to the larger Λ, then the larger bit width (so
    /// Λ = 0, where ECQx equals ECQ, is chosen only when nothing else exists). Null when no setting has both methods.
    /// </summary>
    public static SettingContrast? MostDifferentSetting(IEnumerable<QuantizationRunResult> results, string model, string methodA = "ECQ", string methodB = "ECQx")
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = results.Where(r => r.Model == model).ToList();
        var candidates = new List<SettingContrast>();
        foreach (var a in list.Where(r => r.Method == methodA))
        {
            var b = list.FirstOrDefault(r => r.Method == methodB && r.Bits == a.Bits && r.Lambda == a.Lambda);
            if (b is null) continue;
            var byLayer = b.Layers.ToDictionary(l => l.Layer, l => l.SparsityPercent, StringComparer.Ordinal);
            var diffs = a.Layers.Where(l => byLayer.ContainsKey(l.Layer)).Select(l => Math.Abs(l.SparsityPercent - byLayer[l.Layer])).ToList();
            double mean = diffs.Count == 0 ? Math.Abs(a.SparsityPercent - b.SparsityPercent) : diffs.Average();
            candidates.Add(new SettingContrast(a.Bits, a.Lambda, mean));
        }
        return candidates.OrderByDescending(c => c.MeanAbsLayerDifference).ThenByDescending(c => c.Lambda).ThenByDescending(c => c.Bits).FirstOrDefault();
    }
}
