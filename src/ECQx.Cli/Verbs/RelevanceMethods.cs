using ECQx.Training;

namespace ECQx.Cli.Verbs;

/// <summary>Resolves <c>--relevance</c> names to relevance methods (adapters over <c>ECQx.Relevance</c>).</summary>
internal static class RelevanceMethods
{
    public static IWeightRelevanceSource Create(string name, string modelName) =>
        throw new ArgumentException($"--relevance {name}: the relevance methods are not wired into this build yet; use --relevance-file");
}
