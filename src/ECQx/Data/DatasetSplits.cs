using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data;

/// <summary>
/// The splits of one dataset, ready for training: <see cref="Train"/> (shuffled, augmented when the
/// dataset defines augmentation), <see cref="Test"/> (fixed order, no augmentation) and, where the dataset
/// defines one, <see cref="Validation"/>. Disposing disposes all splits.
/// </summary>
/// <param name="Name">Dataset name, e.g. <c>cifar10</c>.</param>
/// <param name="Train">Training split.</param>
/// <param name="Test">Test split.</param>
/// <param name="Validation">Validation split, or null when the dataset has none (CIFAR-10 as in spec §c.1).</param>
public sealed record DatasetSplits(string Name, IBatchSource Train, IBatchSource Test, IBatchSource? Validation = null) : IDisposable
{
    /// <summary>
    /// A content fingerprint set by the loader (<see cref="DataFingerprint"/>: the images and labels, or the file list),
    /// or null when the loader cannot tell; recorded in training checkpoints through <see cref="Identity"/>.
    /// </summary>
    public string? Fingerprint { get; init; }

    /// <summary>
    /// What identifies this data for a resumed run, as name → value text: <c>data.name</c>, the split sizes
    /// (<c>data.train</c>, <c>data.test</c>, <c>data.validation</c>), <c>data.classes</c>, <c>data.inputShape</c> and
    /// <c>data.content</c> (the <see cref="Fingerprint"/>, or <c>unknown</c>). A training checkpoint records it and a
    /// resume with other data is refused (<see cref="Training.RunSettings"/>).
    /// </summary>
    public SortedDictionary<string, string> Identity() => new(StringComparer.Ordinal)
    {
        ["data.name"] = Name,
        ["data.train"] = DataFingerprint.Text(Train.Count),
        ["data.test"] = DataFingerprint.Text(Test.Count),
        ["data.validation"] = Validation is null ? "none" : DataFingerprint.Text(Validation.Count),
        ["data.classes"] = DataFingerprint.Text(Train.NumClasses),
        ["data.inputShape"] = "[" + string.Join(", ", Train.InputShape) + "]",
        ["data.content"] = Fingerprint ?? "unknown",
    };

    /// <summary>
    /// Checks that the training split was loaded with a run's batch size and seed, so that neither is dropped
    /// silently (the splits carry their own; set them from the run's options when loading).
    /// </summary>
    /// <exception cref="ArgumentException">The batch size or seed differs; the message names both values.</exception>
    public void RequireTrainingOptions(int batchSize, long seed)
    {
        if (Train.BatchSize != batchSize)
            throw new ArgumentException($"dataset '{Name}' was loaded with batch size {Train.BatchSize}, but the run uses batch size {batchSize}; load it with the run's batch size");
        if (Train.Seed != unchecked((ulong)seed))
            throw new ArgumentException($"dataset '{Name}' was loaded with seed {unchecked((long)Train.Seed)}, but the run uses seed {seed}; load it with the run's seed");
    }

    /// <summary>
    /// The training batches of <paramref name="epoch"/> from batch index <paramref name="startBatch"/> on (the batches
    /// before it are drawn and dropped, so a resumed epoch continues exactly where it stopped), moved to
    /// <paramref name="device"/> when given.
    /// </summary>
    public IEnumerable<(Tensor inputs, Tensor labels)> TrainBatches(int epoch, int startBatch = 0, Device? device = null)
    {
        int index = 0;
        foreach (var (x, y) in Train.Batches(epoch))
        {
            if (index++ < startBatch) { x.Dispose(); y.Dispose(); continue; }
            yield return (MoveTo(x, device), MoveTo(y, device));
        }
    }

    /// <summary>The test batches in their fixed order, moved to <paramref name="device"/> when given.</summary>
    public IEnumerable<(Tensor inputs, Tensor labels)> TestBatches(Device? device = null) =>
        Test.Batches(0).Select(b => (MoveTo(b.inputs, device), MoveTo(b.labels, device)));

    private static Tensor MoveTo(Tensor t, Device? device) => device is null || t.device == device ? t : t.to(device);

    /// <summary>Disposes every split.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
        Validation?.Dispose();
    }
}
