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
    /// <summary>Disposes every split.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
        Validation?.Dispose();
    }
}
