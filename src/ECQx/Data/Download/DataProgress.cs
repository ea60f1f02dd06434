namespace ECQx.Data.Download;

/// <summary>What a long data operation is doing.</summary>
public enum DataStage
{
    /// <summary>Receiving bytes over HTTP.</summary>
    Downloading,
    /// <summary>Hashing a file.</summary>
    Verifying,
    /// <summary>Unpacking an archive (progress counts compressed bytes read).</summary>
    Extracting,
    /// <summary>Synthesizing a dataset on this machine (progress counts items made, e.g. words spoken).</summary>
    Synthesizing,
    /// <summary>Finished.</summary>
    Done,
}

/// <summary>A progress report: stage, the file concerned, bytes done and total when known.</summary>
/// <param name="Stage">Current stage.</param>
/// <param name="Item">File or URL being processed.</param>
/// <param name="Done">Bytes processed so far.</param>
/// <param name="Total">Total bytes, or null when unknown.</param>
public readonly record struct DataProgress(DataStage Stage, string Item, long Done, long? Total);
