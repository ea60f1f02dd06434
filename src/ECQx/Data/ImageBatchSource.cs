using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data;

/// <summary>
/// An in-memory image classification split: 8-bit images <c>[N, C, H, W]</c> and int64 labels <c>[N]</c>,
/// served as normalised float32 batches with optional seeded augmentation. Used for CIFAR-10 and
/// Fashion-MNIST/MNIST. Gathering, augmentation and normalisation run as batched tensor ops on the target device.
/// </summary>
public sealed class ImageBatchSource : BatchSource
{
    private readonly Tensor _images;
    private readonly Tensor _labels;
    private readonly ImageNormalization _normalization;
    private readonly ImageAugmentation? _augmentation;

    /// <summary>
    /// Wraps images and labels. The source takes ownership of both tensors (they are disposed with it).
    /// </summary>
    /// <param name="images">uint8 <c>[N, C, H, W]</c> (kept on its own device; batches are moved to <see cref="BatchOptions.Device"/>).</param>
    /// <param name="labels">int64 <c>[N]</c> with values in <c>[0, classNames.Count)</c>.</param>
    /// <param name="classNames">Class names; their count is the number of classes.</param>
    /// <param name="normalization">Per-channel normalisation.</param>
    /// <param name="augmentation">Training augmentation, or null for none.</param>
    /// <param name="batch">Batching, shuffling, seed and device.</param>
    public ImageBatchSource(Tensor images, Tensor labels, IReadOnlyList<string> classNames,
        ImageNormalization normalization, ImageAugmentation? augmentation, BatchOptions batch)
        : base(batch, classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        augmentation?.Validate();
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException($"images must be uint8 [N, C, H, W], got {images.dtype} [{string.Join(", ", images.shape)}].");
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"labels must be int64 [{images.shape[0]}], got {labels.dtype} [{string.Join(", ", labels.shape)}].");
        normalization.Validate(images.shape[1]);
        if (labels.numel() > 0)
        {
            using var minT = labels.min();
            using var maxT = labels.max();
            long min = minT.item<long>(), max = maxT.item<long>();
            if (min < 0 || max >= classNames.Count)
                throw new ArgumentException($"labels range [{min}, {max}] lies outside the {classNames.Count} classes.");
        }
        _images = images.DetachFromDisposeScope();
        _labels = labels.DetachFromDisposeScope();
        _normalization = normalization;
        _augmentation = augmentation;
    }

    /// <inheritdoc />
    public override int Count => (int)_images.shape[0];

    /// <inheritdoc />
    public override long[] InputShape => _images.shape[1..];

    /// <summary>The labels of all examples in storage order (a view; do not dispose).</summary>
    public Tensor Labels => _labels;

    /// <inheritdoc />
    public override IEnumerable<(Tensor inputs, Tensor labels)> Batches(int epoch) => PlannedBatches(epoch, _augmentation is not null, MakeBatch);

    private (Tensor, Tensor) MakeBatch(long[] indices, Generator? gen)
    {
        using var scope = NewDisposeScope();
        var dev = Device;
        var idx = tensor(indices, dtype: int64, device: _images.device);
        var pixels = _images.index_select(0, idx).to(dev).to(float32);
        if (_augmentation is not null) pixels = _augmentation.Apply(pixels, gen!);
        var x = _normalization.Apply(pixels);
        var y = _labels.index_select(0, idx.to(_labels.device)).to(dev);
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    /// <summary>Disposes the stored images and labels.</summary>
    protected override void DisposeData()
    {
        _images.Dispose();
        _labels.Dispose();
    }
}
