namespace ECQx.Data.Speech;

/// <summary>One labelled example: an utterance (relative path) or, when <see cref="RelativePath"/> is null, silence.</summary>
/// <param name="RelativePath">Path relative to the dataset root, or null for a silence example.</param>
/// <param name="Label">Class index.</param>
public sealed record SpeechExample(string? RelativePath, int Label)
{
    /// <summary>True for silence (background noise only).</summary>
    public bool IsSilence => RelativePath is null;
}
