using ECQx.Data.Download;
using Xunit;

namespace ECQx.Tests.Data;

public class DatasetManifestTests
{
    [Fact]
    public void BuiltInManifestIsTheRepositoryFileAndHasTheOfficialSources()
    {
        var m = DatasetManifest.BuiltIn;
        var cifar = m.Get("cifar10");
        Assert.Equal("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", cifar.Archive.Url);
        Assert.Equal("c32a1d4ab5d03f1284b67883e8d87530", cifar.Archive.Md5);
        // SHA-256s as recorded by TensorFlow Datasets' URL checksums; v0.01 has none and is trusted on first download.
        Assert.Equal("c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", cifar.Archive.Sha256);
        Assert.Equal("af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58", m.Get("speech_commands_v0.02").Archive.Sha256);
        Assert.Null(m.Get("speech_commands_v0.01").Archive.Sha256);
        Assert.Equal("cifar-10-batches-bin", cifar.DataSubdirectory);
        Assert.Equal(6, cifar.RequiredPaths.Count);
        Assert.Equal("http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz", m.Get("speech_commands_v0.02").Archive.Url);
        Assert.Equal("http://download.tensorflow.org/data/speech_commands_v0.01.tar.gz", m.Get("SPEECH_COMMANDS_V0.01").Archive.Url);

        // The embedded copy equals data/datasets.json of the checkout.
        string repoFile = Path.Combine(TestPaths.RepoRoot(), "data", "datasets.json");
        Assert.Equal(DatasetManifest.Load(repoFile).Datasets.Select(d => d.Archive.Url), m.Datasets.Select(d => d.Archive.Url));
    }

    [Fact]
    public void UnknownDatasetListsKnownNames()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetManifest.BuiltIn.Get("imagenet"));
        Assert.Contains("imagenet", e.Message);
        Assert.Contains("cifar10", e.Message);
    }

    [Theory]
    [InlineData("""{"datasets":[{"name":"a","title":"t","archive":{"url":"ftp://x/y","fileName":"y"}}]}""", "URL")]
    [InlineData("""{"datasets":[{"name":"a","title":"t","archive":{"url":"http://x/y","fileName":"../y"}}]}""", "file name")]
    [InlineData("""{"datasets":[{"name":"a","title":"t","archive":{"url":"http://x/y","fileName":"y","md5":"abc"}}]}""", "md5")]
    [InlineData("""{"datasets":[{"name":"a","title":"t","archive":{"url":"http://x/y","fileName":"y"}},{"name":"A","title":"t","archive":{"url":"http://x/y","fileName":"y"}}]}""", "repeated")]
    [InlineData("""{"datasets":[""", "malformed")]
    public void MalformedManifestsAreRejectedWithTheReason(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => DatasetManifest.Parse(json, "test.json"));
        Assert.Contains("test.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

}
