using ECQx.IO;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Coding;

public class CompressionCliTests
{
    public CompressionCliTests() => ECQx.TorchRuntime.EnsureLoaded();

    private static int Run(params string[] args) => ECQx.Cli.Program.Main(args);

    [Fact]
    public void CompressThenDecompressGivesBitIdenticalTensors()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "q.safetensors"), packed = Path.Combine(dir, "q.ecqx"), output = Path.Combine(dir, "r.safetensors");
        var tensors = StateDictAdapterTests.SmallQuantizedStateDict(out var metadata);
        try
        {
            SafeTensors.Save(input, tensors, metadata);
            Assert.Equal(0, Run("compress", input, "--out", packed, "--baselines"));
            Assert.True(new FileInfo(packed).Length < new FileInfo(input).Length);
            Assert.Equal(0, Run("inspect", packed));
            Assert.Equal(0, Run("decompress", packed, "--out", output));

            using var original = SafeTensors.Load(input);
            using var restored = SafeTensors.Load(output);
            Assert.Equal(original.Tensors.Keys, restored.Tensors.Keys);
            foreach (var (name, t) in original.Tensors)
            {
                Assert.Equal(t.dtype, restored.Tensors[name].dtype);
                Assert.Equal(t.shape, restored.Tensors[name].shape);
                Assert.Equal(t.bytes.ToArray(), restored.Tensors[name].bytes.ToArray());
            }
            Assert.Equal("pt", restored.Metadata["format"]);
            Assert.Equal("4", restored.Metadata["ecqx.bits.conv1.weight"]);

            // The decompressed file compresses again to the same .ecqx bytes.
            string again = Path.Combine(dir, "again.ecqx");
            Assert.Equal(0, Run("compress", output, "--out", again));
            Assert.Equal(File.ReadAllBytes(packed), File.ReadAllBytes(again));
        }
        finally
        {
            foreach (var kv in tensors) kv.Value.Dispose();
        }
    }

    [Fact]
    public void Float16OptionShrinksTheOtherTensors()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "q.safetensors");
        var tensors = StateDictAdapterTests.SmallQuantizedStateDict(out var metadata);
        try
        {
            SafeTensors.Save(input, tensors, metadata);
            Assert.Equal(0, Run("compress", input, "--out", Path.Combine(dir, "a.ecqx")));
            Assert.Equal(0, Run("compress", input, "--out", Path.Combine(dir, "b.ecqx"), "--float16"));
            // bn1.weight, bn1.running_var (8 floats each) and linear.bias (10 floats) lose 2 bytes per element.
            Assert.Equal(2 * (8 + 8 + 10), new FileInfo(Path.Combine(dir, "a.ecqx")).Length - new FileInfo(Path.Combine(dir, "b.ecqx")).Length);
        }
        finally
        {
            foreach (var kv in tensors) kv.Value.Dispose();
        }
    }

    [Fact]
    public void AnOutputFolderGetsTheInputsNameWithTheOutputExtension()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "q.safetensors");
        var tensors = StateDictAdapterTests.SmallQuantizedStateDict(out var metadata);
        try
        {
            SafeTensors.Save(input, tensors, metadata);
            string newFolder = Path.Combine(dir, "models") + Path.DirectorySeparatorChar; // missing, ends in a separator
            Assert.Equal(0, Run("compress", input, "--out", newFolder));
            string packed = Path.Combine(dir, "models", "q.ecqx");
            Assert.True(File.Exists(packed));

            string existing = Path.Combine(dir, "existing"); // an existing folder, no trailing separator
            Directory.CreateDirectory(existing);
            Assert.Equal(0, Run("compress", input, "--out", existing));
            Assert.Equal(File.ReadAllBytes(packed), File.ReadAllBytes(Path.Combine(existing, "q.ecqx")));

            Assert.Equal(0, Run("decompress", packed, "--out", Path.Combine(dir, "decoded") + Path.DirectorySeparatorChar));
            using var restored = SafeTensors.Load(Path.Combine(dir, "decoded", "q.safetensors"));
            Assert.Equal(tensors.Select(kv => kv.Key).Order(), restored.Tensors.Keys.Order());
        }
        finally
        {
            foreach (var kv in tensors) kv.Value.Dispose();
        }
    }

    [Fact]
    public void FullPrecisionWeightsAreRefusedWithoutWritingAFile()
    {
        string dir = TestPaths.NewTempDir();
        string packed = Path.Combine(dir, "fp.ecqx");
        Assert.Equal(1, Run("compress", TestPaths.PretrainedResNet20, "--out", packed));
        Assert.False(File.Exists(packed));
    }

    [Fact]
    public void CorruptOrMissingFilesFailWithExitCodeOne()
    {
        string dir = TestPaths.NewTempDir();
        string bogus = Path.Combine(dir, "bogus.ecqx");
        File.WriteAllBytes(bogus, [1, 2, 3, 4, 5]);
        Assert.Equal(1, Run("inspect", bogus));
        Assert.Equal(1, Run("decompress", bogus, "--out", Path.Combine(dir, "r.safetensors")));
        Assert.Equal(1, Run("inspect", Path.Combine(dir, "missing.ecqx")));
        Assert.False(File.Exists(Path.Combine(dir, "r.safetensors")));
    }
}
