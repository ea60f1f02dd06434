namespace ECQx.Experiments;

/// <summary>The experiments <c>ecqx reproduce</c> knows, by name.</summary>
public static class ExperimentCatalog
{
    private static readonly ExperimentDefinition[] All = { new PrimerExperiment(), new SpeechCommandsExperiment(), new Cifar10Experiment() };

    /// <summary>The canonical names: <c>primer</c>, <c>gsc</c>, <c>cifar10</c>.</summary>
    public static IReadOnlyList<string> Names => All.Select(e => e.Name).ToArray();

    /// <summary>The experiment named <paramref name="name"/> (case-insensitive); unknown names are an error listing the known ones.</summary>
    public static ExperimentDefinition Get(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"experiment name is empty; choose one of {string.Join(", ", Names)}");
        string n = name.Trim().ToLowerInvariant();
        if (n is "speech" or "speech_commands" or "google-speech-commands") n = "gsc";
        if (n is "cifar" or "cifar-10") n = "cifar10";
        return All.FirstOrDefault(e => e.Name == n)
            ?? throw new ArgumentException($"unknown experiment '{name}'; choose one of {string.Join(", ", Names)}");
    }
}
