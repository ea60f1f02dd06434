using ECQx.Data.Download;
using ECQx.Tests.Fixtures;
using Xunit;
using static ECQx.Tests.Data.DataTestSupport;

namespace ECQx.Tests.Data;

/// <summary>Download, verification and extraction against a loopback HTTP server.</summary>
public class DatasetStoreTests
{
    private static readonly string[] CifarRequired =
        Enumerable.Range(1, 5).Select(i => $"cifar-10-batches-bin/data_batch_{i}.bin").Append("cifar-10-batches-bin/test_batch.bin").ToArray();

    private static DatasetStore Store(string root, DatasetManifest manifest, bool offline = false, int attempts = 3) =>
        new(new DatasetStoreOptions { DataDirectory = root, Manifest = manifest, Offline = offline, Download = FastDownloads(attempts) });

    [Fact]
    public async Task GoodArchiveDownloadsVerifiesExtractsAndIsReusedWithoutNetwork()
    {
        using var server = new LoopbackHttpServer();
        byte[] archive = CifarFixtures.MakeArchive();
        var (sha, md5) = Hashes(archive);
        var url = server.Serve("cifar-10-binary.tar.gz", archive);
        string root = TestPaths.NewTempDir();
        var store = Store(root, Manifest("cifar10", url, "cifar-10-binary.tar.gz", md5: md5, dataSubdirectory: "cifar-10-batches-bin", required: CifarRequired));
        var log = new ProgressLog();

        string dataPath = await store.EnsureAsync("cifar10", log);

        Assert.Equal(Path.Combine(root, "cifar10", "cifar-10-batches-bin"), dataPath);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dataPath, "test_batch.bin")), Enumerable.Range(1000, 6).SelectMany(CifarFixtures.Record).ToArray());
        Assert.True(File.Exists(Path.Combine(root, "cifar10", DatasetStore.CompletionMarker)));
        Assert.Contains(sha, File.ReadAllText(Path.Combine(root, "downloads", "cifar-10-binary.tar.gz.sha256")));
        Assert.False(File.Exists(Path.Combine(root, "downloads", "cifar-10-binary.tar.gz.part")));
        Assert.Empty(Directory.EnumerateDirectories(root, ".extract-*"));
        // progress: download bytes are non-decreasing and end at the full size
        var dl = log.Reports.Where(r => r.Stage == DataStage.Downloading).ToList();
        Assert.NotEmpty(dl);
        Assert.True(dl.Zip(dl.Skip(1)).All(p => p.First.Done <= p.Second.Done));
        Assert.Equal(archive.Length, dl[^1].Done);
        Assert.Equal(archive.Length, dl[^1].Total);
        Assert.Contains(log.Reports, r => r.Stage == DataStage.Extracting);

        // Second use: no request at all, even online.
        int hits = server.Hits("cifar-10-binary.tar.gz");
        Assert.Equal(dataPath, await store.EnsureAsync("cifar10"));
        Assert.Equal(hits, server.Hits("cifar-10-binary.tar.gz"));
        var status = store.Status("cifar10");
        Assert.True(status.Extracted && status.ArchivePresent);
        Assert.Equal(sha, status.PinnedSha256);
        var report = store.Verify("cifar10");
        Assert.True(report.Ok, string.Join("\n", report.Messages));
        Assert.True(report.ArchiveVerdict);
    }

    [Fact]
    public async Task InterruptedDownloadResumesWithRangeRequest()
    {
        using var server = new LoopbackHttpServer();
        byte[] archive = SpeechCommandsFixtures.MakeArchive(new SpeechCommandsFixtures.Spec { SpeakersPerWord = 3 });
        var url = server.Serve("gsc.tar.gz", archive, LoopbackHttpServer.Behaviour.DropFirst);
        string dest = Path.Combine(TestPaths.NewTempDir(), "gsc.tar.gz");
        using var downloader = new ResumableDownloader(options: FastDownloads());

        var result = await downloader.DownloadAsync(url, dest);

        Assert.Equal(archive, File.ReadAllBytes(dest));
        Assert.Equal(2, result.Attempts);
        Assert.Single(result.ResumedFrom);
        long resumedAt = result.ResumedFrom[0];
        Assert.InRange(resumedAt, 1, archive.Length - 1);
        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Null(requests[0].range);
        Assert.Equal($"bytes={resumedAt}-", requests[1].range);
    }

    [Fact]
    public async Task PartFileFromAnEarlierProcessIsResumed()
    {
        using var server = new LoopbackHttpServer();
        byte[] body = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 31 % 251)).ToArray();
        var url = server.Serve("blob.bin", body);
        string dest = Path.Combine(TestPaths.NewTempDir(), "blob.bin");
        File.WriteAllBytes(ResumableDownloader.PartPath(dest), body[..123_456]);
        using var downloader = new ResumableDownloader(options: FastDownloads());

        var result = await downloader.DownloadAsync(url, dest);

        Assert.Equal(body, File.ReadAllBytes(dest));
        Assert.Equal(new long[] { 123_456 }, result.ResumedFrom);
        Assert.Equal("bytes=123456-", server.Requests.Single().range);
    }

    [Fact]
    public async Task ServerThatIgnoresRangeRestartsTheFileInsteadOfAppending()
    {
        using var server = new LoopbackHttpServer();
        byte[] body = Enumerable.Range(0, 50_000).Select(i => (byte)(i % 253)).ToArray();
        var url = server.Serve("blob.bin", body, LoopbackHttpServer.Behaviour.IgnoreRange);
        string dest = Path.Combine(TestPaths.NewTempDir(), "blob.bin");
        File.WriteAllBytes(ResumableDownloader.PartPath(dest), new byte[777]);
        using var downloader = new ResumableDownloader(options: FastDownloads());

        var result = await downloader.DownloadAsync(url, dest);

        Assert.Equal(body, File.ReadAllBytes(dest));
        Assert.Empty(result.ResumedFrom);
    }

    [Fact]
    public async Task StalledServerTimesOutAfterBoundedAttemptsAndKeepsThePartFile()
    {
        using var server = new LoopbackHttpServer();
        var url = server.Serve("slow.bin", new byte[10_000], LoopbackHttpServer.Behaviour.Stall);
        string dest = Path.Combine(TestPaths.NewTempDir(), "slow.bin");
        var options = FastDownloads(attempts: 2) with { StallTimeout = TimeSpan.FromMilliseconds(300) };
        using var downloader = new ResumableDownloader(options: options);

        var e = await Assert.ThrowsAsync<IOException>(() => downloader.DownloadAsync(url, dest));

        Assert.Contains(url.ToString(), e.Message);
        Assert.Contains("2 attempts", e.Message);
        Assert.False(File.Exists(dest));
        Assert.Equal(2, server.Hits("slow.bin"));
        Assert.True(File.Exists(ResumableDownloader.PartPath(dest)));
    }

    [Fact]
    public async Task NotFoundIsReportedWithoutRetrying()
    {
        using var server = new LoopbackHttpServer();
        var url = server.Serve("missing.tar.gz", Array.Empty<byte>(), LoopbackHttpServer.Behaviour.NotFound);
        using var downloader = new ResumableDownloader(options: FastDownloads(attempts: 4));

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => downloader.DownloadAsync(url, Path.Combine(TestPaths.NewTempDir(), "x")));

        Assert.Contains("404", e.Message);
        Assert.Equal(1, server.Hits("missing.tar.gz"));
    }

    [Fact]
    public async Task ChecksumMismatchIsReportedWithPathAndLeavesNothingTrusted()
    {
        using var server = new LoopbackHttpServer();
        byte[] good = CifarFixtures.MakeArchive();
        byte[] bad = (byte[])good.Clone();
        bad[bad.Length / 3] ^= 0x5A;
        var (_, goodMd5) = Hashes(good);
        var (_, badMd5) = Hashes(bad);
        var url = server.Serve("cifar-10-binary.tar.gz", bad);
        string root = TestPaths.NewTempDir();
        var store = Store(root, Manifest("cifar10", url, "cifar-10-binary.tar.gz", md5: goodMd5, dataSubdirectory: "cifar-10-batches-bin", required: CifarRequired));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.EnsureAsync("cifar10"));

        string archivePath = Path.Combine(root, "downloads", "cifar-10-binary.tar.gz");
        Assert.Contains(archivePath, e.Message);
        Assert.Contains(goodMd5, e.Message);
        Assert.Contains(badMd5, e.Message);
        Assert.False(File.Exists(archivePath));
        Assert.True(File.Exists(archivePath + ".corrupt"));
        Assert.False(Directory.Exists(Path.Combine(root, "cifar10")));
        Assert.False(File.Exists(archivePath + ".sha256"));

        // The server is fixed: the next run downloads afresh and succeeds.
        server.Serve("cifar-10-binary.tar.gz", good);
        Assert.True(Directory.Exists(await store.EnsureAsync("cifar10")));
    }

    [Fact]
    public async Task TruncatedArchiveWithoutPublishedChecksumIsDetectedAndNeverPinned()
    {
        using var server = new LoopbackHttpServer();
        byte[] full = SpeechCommandsFixtures.MakeArchive(new SpeechCommandsFixtures.Spec { SpeakersPerWord = 3 });
        foreach (int cut in new[] { full.Length - 4, full.Length / 2, 40 })
        {
            var url = server.Serve($"gsc-{cut}.tar.gz", full[..cut]);
            string root = TestPaths.NewTempDir();
            var store = Store(root, Manifest("gsc", url, "gsc.tar.gz", required: new[] { "validation_list.txt", "testing_list.txt", "_background_noise_/" }));

            var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.EnsureAsync("gsc"));

            string archivePath = Path.Combine(root, "downloads", "gsc.tar.gz");
            Assert.Contains(archivePath, e.Message);
            Assert.False(Directory.Exists(Path.Combine(root, "gsc")), $"cut {cut}: a dataset directory was left behind");
            Assert.Empty(Directory.EnumerateDirectories(root, ".extract-*"));
            Assert.False(File.Exists(archivePath + ".sha256"), $"cut {cut}: a truncated archive was pinned");
            Assert.False(store.Status("gsc").Extracted);
        }
    }

    [Fact]
    public async Task PinnedHashCatchesAnArchiveThatChangedAfterFirstTrust()
    {
        using var server = new LoopbackHttpServer();
        byte[] first = CifarFixtures.MakeArchive(perTrainFile: 2, testCount: 2);
        var url = server.Serve("c.tar.gz", first);
        string root = TestPaths.NewTempDir();
        var store = Store(root, Manifest("cifar10", url, "c.tar.gz", dataSubdirectory: "cifar-10-batches-bin", required: CifarRequired));
        await store.EnsureAsync("cifar10");
        string pin = store.Status("cifar10").PinnedSha256!;
        Assert.Equal(Hashes(first).sha256, pin);

        // Someone replaces the archive and removes the extraction: the pin rejects it.
        byte[] other = CifarFixtures.MakeArchive(perTrainFile: 3, testCount: 2);
        File.WriteAllBytes(Path.Combine(root, "downloads", "c.tar.gz"), other);
        Directory.Delete(Path.Combine(root, "cifar10"), recursive: true);
        var report = store.Verify("cifar10");
        Assert.False(report.Ok);
        Assert.False(report.ArchiveVerdict);
        Assert.Contains(report.Messages, m => m.Contains(pin));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.EnsureAsync("cifar10"));
        Assert.Contains("pinned", e.Message);
    }

    [Fact]
    public async Task OfflineModeNeverTouchesTheNetworkAndSaysWhatToPutWhere()
    {
        using var server = new LoopbackHttpServer();
        byte[] archive = CifarFixtures.MakeArchive(perTrainFile: 1, testCount: 1);
        var (sha, _) = Hashes(archive);
        var url = server.Serve("cifar-10-binary.tar.gz", archive);
        string root = TestPaths.NewTempDir();
        var store = Store(root, Manifest("cifar10", url, "cifar-10-binary.tar.gz", sha256: sha, dataSubdirectory: "cifar-10-batches-bin", required: CifarRequired), offline: true);

        var e = await Assert.ThrowsAsync<DatasetNotAvailableException>(() => store.EnsureAsync("cifar10"));

        Assert.Empty(server.Requests);
        string archivePath = Path.Combine(root, "downloads", "cifar-10-binary.tar.gz");
        Assert.Contains(archivePath, e.Message);
        Assert.Contains(url.ToString(), e.Message);
        Assert.Contains(sha, e.Message);
        Assert.Contains("ECQX_DATA_DIR", e.Message);

        // Put the archive where the message says: offline mode verifies and extracts it.
        Directory.CreateDirectory(Path.GetDirectoryName(archivePath)!);
        File.WriteAllBytes(archivePath, archive);
        string data = await store.EnsureAsync("cifar10");
        Assert.True(File.Exists(Path.Combine(data, "data_batch_5.bin")));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task DirectoryWithoutCompletionMarkerIsNotTrustedAndIsReplaced()
    {
        using var server = new LoopbackHttpServer();
        byte[] archive = CifarFixtures.MakeArchive(perTrainFile: 1, testCount: 1);
        var url = server.Serve("c.tar.gz", archive);
        string root = TestPaths.NewTempDir();
        var store = Store(root, Manifest("cifar10", url, "c.tar.gz", dataSubdirectory: "cifar-10-batches-bin", required: CifarRequired));
        // A half-extracted leftover: required files present but no marker, plus a stray file.
        CifarFixtures.MakeDataset(Path.Combine(root, "cifar10"), perTrainFile: 1, testCount: 1);
        File.WriteAllText(Path.Combine(root, "cifar10", "stray.txt"), "left over");
        Assert.False(store.Status("cifar10").Extracted);

        await store.EnsureAsync("cifar10");

        Assert.Equal(1, server.Hits("c.tar.gz"));
        Assert.False(File.Exists(Path.Combine(root, "cifar10", "stray.txt")));
        Assert.True(store.Status("cifar10").Extracted);
    }

    [Fact]
    public async Task ArchiveLackingRequiredFilesIsRejected()
    {
        using var server = new LoopbackHttpServer();
        byte[] archive = TarGzFixtures.Pack(new[] { ("cifar-10-batches-bin/data_batch_1.bin", (byte[]?)new byte[3073]) });
        var url = server.Serve("c.tar.gz", archive);
        string root = TestPaths.NewTempDir();
        var store = Store(root, Manifest("cifar10", url, "c.tar.gz", dataSubdirectory: "cifar-10-batches-bin", required: CifarRequired));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.EnsureAsync("cifar10"));

        Assert.Contains("test_batch.bin", e.Message);
        Assert.False(Directory.Exists(Path.Combine(root, "cifar10")));
    }

    [Fact]
    public void DataDirectoryPrecedenceIsExplicitThenEnvironmentThenDefault()
    {
        string explicitDir = TestPaths.NewTempDir();
        Assert.Equal(Path.GetFullPath(explicitDir), DataDirectory.Resolve(explicitDir));
        string? saved = Environment.GetEnvironmentVariable(DataDirectory.EnvironmentVariable);
        try
        {
            string envDir = TestPaths.NewTempDir();
            Environment.SetEnvironmentVariable(DataDirectory.EnvironmentVariable, envDir);
            Assert.Equal(Path.GetFullPath(envDir), DataDirectory.Resolve(null));
            Assert.Equal(Path.GetFullPath(explicitDir), DataDirectory.Resolve(explicitDir));
            Environment.SetEnvironmentVariable(DataDirectory.EnvironmentVariable, null);
            Assert.EndsWith(Path.Combine("ecqx", "data"), DataDirectory.Resolve(null));
        }
        finally
        {
            Environment.SetEnvironmentVariable(DataDirectory.EnvironmentVariable, saved);
        }
    }
}
