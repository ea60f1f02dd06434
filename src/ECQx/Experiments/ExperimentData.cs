using ECQx.Data;

namespace ECQx.Experiments;

/// <summary>
/// The data of one experiment run: the training and test splits, the class count, and a
/// description for the configuration and the report. <see cref="Synthetic"/> marks stand-in data (quick mode
/// without a dataset), which the report states prominently.
/// </summary>
public sealed class ExperimentData : IDisposable
{
    /// <summary>Wraps <paramref name="splits"/> (disposed with this object).</summary>
    public ExperimentData(DatasetSplits splits, int classes, string description, bool synthetic)
    {
        Splits = splits ?? throw new ArgumentNullException(nameof(splits));
        Classes = classes;
        Description = description;
        Synthetic = synthetic;
    }

    /// <summary>The training and test splits.</summary>
    public DatasetSplits Splits { get; }
    /// <summary>Number of classes.</summary>
    public int Classes { get; }
    /// <summary>One line naming the dataset and where it came from.</summary>
    public string Description { get; }
    /// <summary>True when the data is a synthetic stand-in, not the experiment's dataset.</summary>
    public bool Synthetic { get; }

    /// <inheritdoc />
    public void Dispose() => Splits.Dispose();
}
