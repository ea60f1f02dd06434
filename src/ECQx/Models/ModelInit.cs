using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// Weight initialisers that draw from an optional <see cref="Generator"/>, so a model built with a seed is
/// reproducible without touching torch's global random state.
/// </summary>
public static class ModelInit
{
    /// <summary>
    /// He/Kaiming normal with the ReLU gain and fan-in mode (PyTorch's <c>kaiming_normal_(w)</c> default):
    /// <c>N(0, 2/fan_in)</c>, fan_in = in_features (× kernel elements for convolutions).
    /// </summary>
    public static void KaimingNormal(Tensor weight, Generator? generator = null)
    {
        double std = Math.Sqrt(2.0 / FanIn(weight));
        using var _ = no_grad();
        using var r = randn(weight.shape, dtype: weight.dtype, device: weight.device, generator: generator);
        weight.copy_(r.mul_(std));
    }

    /// <summary>Uniform on <c>[-1/√fan_in, 1/√fan_in]</c> (PyTorch's default for Linear/Conv weights and biases).</summary>
    public static void UniformFanIn(Tensor parameter, long fanIn, Generator? generator = null)
    {
        if (fanIn <= 0) throw new ArgumentOutOfRangeException(nameof(fanIn), fanIn, "fan-in must be positive");
        double bound = 1.0 / Math.Sqrt(fanIn);
        using var _ = no_grad();
        using var r = rand(parameter.shape, dtype: parameter.dtype, device: parameter.device, generator: generator);
        parameter.copy_(r.mul_(2 * bound).sub_(bound));
    }

    /// <summary>Fan-in of a weight tensor: dimension 1 times the product of the trailing (kernel) dimensions.</summary>
    public static long FanIn(Tensor weight)
    {
        if (weight.dim() < 2) throw new ArgumentException($"fan-in needs a weight with ≥ 2 dimensions, got [{string.Join(", ", weight.shape)}]");
        long fan = weight.shape[1];
        for (int d = 2; d < weight.dim(); d++) fan *= weight.shape[d];
        return fan;
    }

    /// <summary>
    /// Re-initialises every convolution and linear layer below <paramref name="module"/>: weights Kaiming-normal
    /// (when <paramref name="kaimingWeights"/>) or PyTorch-default uniform, biases PyTorch-default uniform.
    /// Batch norms are reset to γ = 1, β = 0 with fresh running statistics.
    /// </summary>
    public static void Initialize(nn.Module module, Generator? generator, bool kaimingWeights)
    {
        using var _ = no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Convolution conv:
                    InitWeightAndBias(conv.weight!, conv.bias, generator, kaimingWeights);
                    break;
                case Linear linear:
                    InitWeightAndBias(linear.weight!, linear.bias, generator, kaimingWeights);
                    break;
                case NormBase bn:
                    bn.weight?.fill_(1.0);
                    bn.bias?.zero_();
                    bn.running_mean?.zero_();
                    bn.running_var?.fill_(1.0);
                    bn.num_batches_tracked?.zero_();
                    break;
            }
        }
    }

    private static void InitWeightAndBias(Tensor weight, Tensor? bias, Generator? generator, bool kaiming)
    {
        long fanIn = FanIn(weight);
        if (kaiming) KaimingNormal(weight, generator);
        else UniformFanIn(weight, fanIn, generator);
        if (bias is not null) UniformFanIn(bias, fanIn, generator);
    }
}
