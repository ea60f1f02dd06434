namespace ECQx.Data.Download;

/// <summary>
/// A dataset is not on disk and may not be downloaded (offline mode). The message says what is missing and
/// where to put it.
/// </summary>
public sealed class DatasetNotAvailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DatasetNotAvailableException(string dataset, string message) : base(message) => Dataset = dataset;

    /// <summary>The dataset's manifest name.</summary>
    public string Dataset { get; }
}
