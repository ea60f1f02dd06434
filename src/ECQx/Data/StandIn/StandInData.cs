namespace ECQx.Data.StandIn;

/// <summary>
/// Synthetic stand-ins for the paper's datasets, written to disk in the real on-disk formats so that the real loaders
/// (and everything after them) run offline: <see cref="SpeechCommandsStandIn"/> and <see cref="Cifar10StandIn"/>. Each
/// stand-in folder carries a marker file, so loaders and reports can say that the data is synthetic.
/// </summary>
public static class StandInData
{
    /// <summary>Name of the marker file at the root of every stand-in dataset.</summary>
    public const string MarkerFileName = "SYNTHETIC-STAND-IN.txt";

    /// <summary>True when <paramref name="directory"/> (or its parent, for a CIFAR-10 batch folder) is a stand-in written here.</summary>
    public static bool IsStandIn(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var dir = new DirectoryInfo(Path.GetFullPath(directory));
        return File.Exists(Path.Combine(dir.FullName, MarkerFileName))
               || (dir.Parent is not null && File.Exists(Path.Combine(dir.Parent.FullName, MarkerFileName)));
    }

    /// <summary>Writes the marker file describing the stand-in (<paramref name="description"/>).</summary>
    internal static void WriteMarker(string root, string description) =>
        IO.AtomicFile.WriteAllText(Path.Combine(root, MarkerFileName),
            "SYNTHETIC STAND-IN written by ECQx.Data.StandIn: not the real dataset. Results on it only show that the pipeline runs.\n" + description + "\n");
}
