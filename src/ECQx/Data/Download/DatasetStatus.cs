namespace ECQx.Data.Download;

/// <summary>What is on disk for one dataset.</summary>
/// <param name="Name">Manifest name.</param>
/// <param name="ArchivePath">Where the archive is (or would be) stored.</param>
/// <param name="ArchivePresent">A complete archive is present.</param>
/// <param name="PartialBytes">Size of a <c>.part</c> file awaiting resumption (0 when none).</param>
/// <param name="PinnedSha256">SHA-256 recorded by trust-on-first-download, if any.</param>
/// <param name="DatasetDirectory">Where the extracted dataset is (or would be).</param>
/// <param name="Extracted">Extraction completed (marker present and required paths exist).</param>
public sealed record DatasetStatus(string Name, string ArchivePath, bool ArchivePresent, long PartialBytes,
    string? PinnedSha256, string DatasetDirectory, bool Extracted);

/// <summary>Result of <see cref="DatasetStore.Verify"/>.</summary>
/// <param name="Name">Manifest name.</param>
/// <param name="ArchivePath">The archive checked.</param>
/// <param name="ArchiveHashes">Its hashes, or null when the archive is absent.</param>
/// <param name="ArchiveVerdict">Null when there was nothing to compare with (no archive, or no published hash and no pin);
/// otherwise whether every reference hash matched.</param>
/// <param name="Extracted">Extraction is complete.</param>
/// <param name="MissingPaths">Required paths missing from the extracted dataset.</param>
/// <param name="Messages">Human-readable findings, one per line.</param>
public sealed record VerifyReport(string Name, string ArchivePath, FileHashes? ArchiveHashes, bool? ArchiveVerdict,
    bool Extracted, IReadOnlyList<string> MissingPaths, IReadOnlyList<string> Messages)
{
    /// <summary>No check failed (an absent archive is fine when the dataset is extracted).</summary>
    public bool Ok => ArchiveVerdict != false && MissingPaths.Count == 0 && (Extracted || ArchiveHashes is not null);
}
