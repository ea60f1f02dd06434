using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>
/// The ECQ (or ECQx) assignment of one tensor: integer levels, quantized values, statistics, and (for ECQx) the β search.
/// The two tensors belong to the caller's dispose scope (if any); <see cref="Dispose"/> frees them explicitly.
/// (The file-format type <c>ECQx.Coding.QuantizedTensor</c> takes
/// <see cref="Levels"/> with the codebook's <see cref="Codebook.Step"/>, <see cref="Codebook.Bits"/> and
/// <see cref="Codebook.MinLevel"/>; its value formula <c>(float)(level·Step)</c> is exactly the centroid value
/// here, so no patches are needed.)
/// </summary>
public sealed class EcqAssignment : IDisposable
{
    private readonly Tensor? _levels;

    internal EcqAssignment(Tensor? levels, Tensor values, TensorQuantStats stats, EcqxSearchReport? ecqx)
    {
        _levels = levels;
        Values = values;
        Stats = stats;
        Ecqx = ecqx;
    }

    /// <summary>Integer levels (int64, the input's shape): value = level·Δ.</summary>
    /// <exception cref="InvalidOperationException">The assignment was made for its values only (the trainer's re-quantization).</exception>
    public Tensor Levels => _levels ?? throw new InvalidOperationException("this assignment was made for its values only: it has no levels");

    /// <summary>Quantized values (the input's shape, dtype and device): the centroid of each level.</summary>
    public Tensor Values { get; }

    /// <summary>Per-tensor statistics.</summary>
    public TensorQuantStats Stats { get; }

    /// <summary>The ECQx report when relevance was given, otherwise null.</summary>
    public EcqxSearchReport? Ecqx { get; }

    /// <summary>Frees <see cref="Levels"/> and <see cref="Values"/>.</summary>
    public void Dispose()
    {
        _levels?.Dispose();
        Values.Dispose();
    }
}
