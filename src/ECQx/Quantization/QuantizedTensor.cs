using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>
/// The result of quantizing one tensor: integer levels, quantized values, statistics, and (for ECQx) the β search.
/// The two tensors belong to the caller's dispose scope (if any); <see cref="Dispose"/> frees them explicitly.
/// </summary>
public sealed class QuantizedTensor : IDisposable
{
    internal QuantizedTensor(Tensor levels, Tensor values, TensorQuantStats stats, EcqxSearchReport? ecqx)
    {
        Levels = levels;
        Values = values;
        Stats = stats;
        Ecqx = ecqx;
    }

    /// <summary>Integer levels (int64, the input's shape): value = level·Δ.</summary>
    public Tensor Levels { get; }

    /// <summary>Quantized values (the input's shape, dtype and device): the centroid of each level.</summary>
    public Tensor Values { get; }

    /// <summary>Per-tensor statistics.</summary>
    public TensorQuantStats Stats { get; }

    /// <summary>The ECQx report when relevance was given, otherwise null.</summary>
    public EcqxSearchReport? Ecqx { get; }

    /// <summary>Frees <see cref="Levels"/> and <see cref="Values"/>.</summary>
    public void Dispose()
    {
        Levels.Dispose();
        Values.Dispose();
    }
}
