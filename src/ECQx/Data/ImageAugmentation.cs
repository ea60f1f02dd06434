using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data;

/// <summary>
/// Random image augmentation applied to a whole batch at once with tensor ops (no per-pixel loops):
/// horizontal flip with probability <see cref="FlipProbability"/>, then a random crop back to the original
/// size out of the image zero-padded by <see cref="CropPadding"/> pixels on each side. Both act in pixel space
/// (values 0..255), before normalisation, as in the reference CIFAR-10 pipeline (spec §c.1: RandomHorizontalFlip,
/// RandomCrop(32, padding=4), ToTensor, Normalize).
/// </summary>
public sealed record ImageAugmentation
{
    /// <summary>The reference CIFAR-10 training augmentation (spec §c.1): flip p=0.5, 4-pixel zero-pad crop.</summary>
    public static ImageAugmentation Cifar10Train { get; } = new() { FlipProbability = 0.5, CropPadding = 4 };

    /// <summary>Probability of mirroring an image left-right (0 disables).</summary>
    public double FlipProbability { get; init; }

    /// <summary>Zero padding on every side before the random crop (0 disables cropping).</summary>
    public int CropPadding { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming a bad value.</summary>
    public void Validate()
    {
        if (!(FlipProbability >= 0 && FlipProbability <= 1))
            throw new ArgumentException($"FlipProbability must be in [0, 1], got {FlipProbability}.");
        if (CropPadding < 0) throw new ArgumentException($"CropPadding must be non-negative, got {CropPadding}.");
    }

    /// <summary>
    /// Draws the random choices for the batch from <paramref name="generator"/> (on CPU: per image one uniform
    /// number for the flip, then two crop offsets) and applies them to <paramref name="pixels"/>
    /// (float, <c>[B, C, H, W]</c>, any device).
    /// </summary>
    public Tensor Apply(Tensor pixels, Generator generator)
    {
        Validate();
        using var scope = NewDisposeScope();
        long b = pixels.shape[0];
        var x = pixels;
        if (FlipProbability > 0)
        {
            var flip = rand(new[] { b }, dtype: float64, generator: generator).lt(FlipProbability);
            x = Flip(x, flip.to(x.device));
        }
        if (CropPadding > 0)
        {
            var offsets = randint(0, 2L * CropPadding + 1, new[] { b, 2 }, dtype: int64, generator: generator).to(x.device);
            x = Crop(x, CropPadding, offsets[.., 0], offsets[.., 1]);
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Mirrors left-right the images whose entry in <paramref name="mask"/> (bool <c>[B]</c>) is true.</summary>
    public static Tensor Flip(Tensor images, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var m = mask.to(ScalarType.Bool).reshape(-1, 1, 1, 1);
        return where(m, images.flip(3), images).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Zero-pads each image by <paramref name="padding"/> pixels and takes the <c>H×W</c> window whose top-left
    /// corner is at (<paramref name="top"/>[i], <paramref name="left"/>[i]) in padded coordinates, each in
    /// <c>[0, 2·padding]</c>. Offset <c>padding</c> reproduces the original image.
    /// </summary>
    public static Tensor Crop(Tensor images, int padding, Tensor top, Tensor left)
    {
        using var scope = NewDisposeScope();
        long b = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        var padded = nn.functional.pad(images, new long[] { padding, padding, padding, padding });
        var dev = images.device;
        var rows = top.to(int64).to(dev).unsqueeze(1) + arange(h, dtype: int64, device: dev).unsqueeze(0);   // [B, H]
        var cols = left.to(int64).to(dev).unsqueeze(1) + arange(w, dtype: int64, device: dev).unsqueeze(0);  // [B, W]
        var rowIdx = rows.reshape(b, 1, h, 1).expand(b, c, h, w + 2L * padding);
        var cropped = padded.gather(2, rowIdx);
        var colIdx = cols.reshape(b, 1, 1, w).expand(b, c, h, w);
        return cropped.gather(3, colIdx).MoveToOuterDisposeScope();
    }
}
