using ECQx.Training;

namespace ECQx.Experiments;

/// <summary>
/// The data of one experiment run: training and test batches for the trainer, the class count, and a
/// description for the configuration and the report. <see cref="Synthetic"/> marks stand-in data (quick mode
/// without a dataset), which the report states prominently.
/// </summary>
public sealed class ExperimentData : IDisposable
{
    /// <summary>Wraps <paramref name="data"/> (disposed with this object when it is disposable).</summary>
    public ExperimentData(ITrainingData data, int classes, string description, bool synthetic)
    {
        Data = data ?? throw new ArgumentNullException(nameof(data));
        Classes = classes;
        Description = description;
        Synthetic = synthetic;
    }

    /// <summary>Training and test batches.</summary>
    public ITrainingData Data { get; }
    /// <summary>Number of classes.</summary>
    public int Classes { get; }
    /// <summary>One line naming the dataset and where it came from.</summary>
    public string Description { get; }
    /// <summary>True when the data is a synthetic stand-in, not the experiment's dataset.</summary>
    public bool Synthetic { get; }

    /// <inheritdoc />
    public void Dispose() => (Data as IDisposable)?.Dispose();
}
