using ECQx.Coding;
using ECQx.Coding.Nnr;
using ECQx.IO;
using Xunit;

namespace ECQx.Tests.Coding.Nnr;

/// <summary><c>ecqx compress --format nnr</c>, and <c>inspect</c>/<c>decompress</c> of NNR bitstreams.</summary>
public class NnrCliTests
{
    public NnrCliTests() => TorchRuntime.EnsureLoaded();

    private static int Run(params string[] args) => ECQx.Cli.Program.Main(args);

    [Fact]
    public void CompressToNnrThenDecompressGivesTheSameTensorsAsEcqx()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "q.safetensors");
        var tensors = StateDictAdapterTests.SmallQuantizedStateDict(out var metadata);
        try
        {
            SafeTensors.Save(input, tensors, metadata);
            string nnr = Path.Combine(dir, "q.nnr"), ecqx = Path.Combine(dir, "q.ecqx"), byFlag = Path.Combine(dir, "flag.bin");
            Assert.Equal(0, Run("compress", input, "--out", nnr));
            Assert.Equal(0, Run("compress", input, "--out", byFlag, "--format", "nnr"));
            Assert.Equal(0, Run("compress", input, "--out", ecqx));
            Assert.Equal(File.ReadAllBytes(nnr), File.ReadAllBytes(byFlag));
            Assert.Equal(CodedModelFormat.Nnr, CodedModelFiles.Detect(nnr));
            Assert.Equal(CodedModelFormat.Ecqx, CodedModelFiles.Detect(ecqx));
            Assert.Equal(0, Run("inspect", nnr));

            string fromNnr = Path.Combine(dir, "r-nnr.safetensors"), fromEcqx = Path.Combine(dir, "r-ecqx.safetensors");
            Assert.Equal(0, Run("decompress", nnr, "--out", fromNnr));
            Assert.Equal(0, Run("decompress", ecqx, "--out", fromEcqx));
            Assert.Equal(File.ReadAllBytes(fromEcqx), File.ReadAllBytes(fromNnr));
        }
        finally
        {
            foreach (var kv in tensors) kv.Value.Dispose();
        }
    }

    [Fact]
    public void ADamagedBitstreamFailsWithExitCodeOneAndAMessageNamingTheUnit()
    {
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, "bad.nnr");
        byte[] bytes = NnrModelFile.Serialize(EcqxFileSamples.SmallModel());
        File.WriteAllBytes(path, bytes[..(bytes.Length - 3)]);
        Assert.Equal(1, Run("inspect", path));
        Assert.Equal(1, Run("decompress", path, "--out", Path.Combine(dir, "r.safetensors")));
        Assert.False(File.Exists(Path.Combine(dir, "r.safetensors")));
        Assert.StartsWith("bad.nnr: NNR unit", Assert.Throws<InvalidDataException>(() => NnrModelFile.ReadDetailed(path)).Message);
    }
}
