using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// Reshapes each sample to a fixed shape (<c>x.reshape(N, shape…)</c>), so a model accepts both flat feature
/// vectors and already-shaped inputs (e.g. 490 MFCC values or a 1×49×10 map).
/// </summary>
public sealed class ReshapeTo : nn.Module<Tensor, Tensor>
{
    private readonly long[] _shape;

    /// <summary>Creates the reshape to per-sample shape <paramref name="sampleShape"/>.</summary>
    public ReshapeTo(params long[] sampleShape) : base(nameof(ReshapeTo))
    {
        if (sampleShape.Length == 0 || sampleShape.Any(d => d <= 0))
            throw new ArgumentException($"sample shape must be non-empty and positive, got [{string.Join(", ", sampleShape)}]");
        _shape = (long[])sampleShape.Clone();
    }

    /// <summary>The per-sample output shape.</summary>
    public IReadOnlyList<long> SampleShape => _shape;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        long per = _shape.Aggregate(1L, (a, b) => a * b);
        long have = x.dim() == 0 ? 0 : x.numel() / Math.Max(1, x.shape[0]);
        if (x.dim() < 1 || have != per)
            throw new ArgumentException($"input of shape [{string.Join(", ", x.shape)}] cannot be reshaped to N×[{string.Join(", ", _shape)}] ({per} values per sample)");
        return x.reshape(new[] { x.shape[0] }.Concat(_shape).ToArray());
    }
}
