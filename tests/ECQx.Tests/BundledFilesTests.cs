using Xunit;

namespace ECQx.Tests;

public sealed class BundledFilesTests
{
    [Fact]
    public void BundledDataIsFoundNextToTheProgramBeforeAnyCheckout()
    {
        // The test build carries data/ next to the test assembly (copied from the ECQx project), as the tool and
        // a package consumer's build do; the checkout above it has the same files, but the program's copy wins.
        string program = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        Assert.Equal(program, BundledFiles.SearchRoots()[0]);
        Assert.Equal(Path.Combine(program, "data", "pretrained", "resnet20-cifar10.safetensors"), BundledFiles.Find(BundledFiles.PretrainedResNet20));
        Assert.Equal(Path.Combine(program, "data", "fashion-mnist-sample"), ECQx.Data.Idx.FashionMnist.FindBundledSample());
        Assert.Equal(File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot(), BundledFiles.PretrainedResNet20)),
            File.ReadAllBytes(BundledFiles.Find(BundledFiles.PretrainedResNet20)!));
    }

    [Fact]
    public void AMissingBundledFileNamesItselfAndEverySearchedRoot()
    {
        string missing = "data/no-such-bundle/" + Guid.NewGuid().ToString("N") + ".bin";
        Assert.Null(BundledFiles.Find(missing));
        var e = Assert.Throws<FileNotFoundException>(() => BundledFiles.Require(missing, "The test bundle"));
        Assert.Contains("The test bundle", e.Message);
        Assert.Contains(missing, e.Message);
        Assert.All(BundledFiles.SearchRoots(), root => Assert.Contains(root, e.Message));
    }
}
