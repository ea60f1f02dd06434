using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data;

/// <summary>
/// Per-channel normalisation of 8-bit images: <c>(pixel/255 − Mean[c]) / Std[c]</c>, the torchvision
/// ToTensor + Normalize pair. Mean and Std are in [0, 1] units.
/// </summary>
/// <param name="Mean">Per-channel mean.</param>
/// <param name="Std">Per-channel standard deviation (positive).</param>
public sealed record ImageNormalization(float[] Mean, float[] Std)
{
    /// <summary>The reference CIFAR-10 constants (spec §c.1): mean (125.3, 123.0, 113.9)/255, std (63.0, 62.1, 66.7)/255.</summary>
    public static ImageNormalization Cifar10 { get; } = new(
        new[] { 125.3f / 255f, 123.0f / 255f, 113.9f / 255f },
        new[] { 63.0f / 255f, 62.1f / 255f, 66.7f / 255f });

    /// <summary>
    /// Fashion-MNIST training-set statistics, mean 0.2860 and std 0.3530, computed over all 60,000 training
    /// images of the Debian <c>dataset-fashion-mnist</c> files (pixel/255; population std).
    /// </summary>
    public static ImageNormalization FashionMnist { get; } = new(new[] { 0.2860f }, new[] { 0.3530f });

    /// <summary>The commonly used MNIST statistics, mean 0.1307 and std 0.3081.</summary>
    public static ImageNormalization Mnist { get; } = new(new[] { 0.1307f }, new[] { 0.3081f });

    /// <summary>No normalisation beyond scaling to [0, 1].</summary>
    public static ImageNormalization UnitRange(int channels) =>
        new(Enumerable.Repeat(0f, channels).ToArray(), Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>Checks the constants against a channel count; throws an <see cref="ArgumentException"/> naming the problem.</summary>
    public void Validate(long channels)
    {
        if (Mean.Length != channels || Std.Length != channels)
            throw new ArgumentException($"normalisation has {Mean.Length} means and {Std.Length} stds for {channels}-channel images.");
        foreach (float s in Std)
            if (!(s > 0) || float.IsInfinity(s)) throw new ArgumentException($"normalisation std must be positive and finite, got {s}.");
        foreach (float m in Mean)
            if (!float.IsFinite(m)) throw new ArgumentException($"normalisation mean must be finite, got {m}.");
    }

    /// <summary>Normalises pixel values (float, 0..255, <c>[B, C, H, W]</c>) on their own device.</summary>
    public Tensor Apply(Tensor pixels)
    {
        Validate(pixels.shape[1]);
        using var scope = NewDisposeScope();
        var mean = tensor(Mean, dtype: float32, device: pixels.device).reshape(1, -1, 1, 1);
        var std = tensor(Std, dtype: float32, device: pixels.device).reshape(1, -1, 1, 1);
        return pixels.div(255f).sub_(mean).div_(std).MoveToOuterDisposeScope();
    }
}
