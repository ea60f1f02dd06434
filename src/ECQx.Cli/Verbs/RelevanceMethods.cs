using ECQx.Training;

namespace ECQx.Cli.Verbs;

/// <summary>Resolves <c>--relevance</c> names to relevance methods (adapters over <c>ECQx.Relevance</c>).</summary>
internal static class RelevanceMethods
{
    /// <summary>The method named <paramref name="name"/>; unknown names are an error listing the known ones.</summary>
    public static IWeightRelevanceSource Create(string name, long seed) =>
        RelevanceMethodSource.Create(name, new ECQx.Relevance.RelevanceOptions { Seed = seed });
}
