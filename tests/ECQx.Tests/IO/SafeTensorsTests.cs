using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ECQx.IO;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.IO;

public class SafeTensorsTests
{
    private static byte[] Build(string headerJson, byte[] data)
    {
        byte[] h = Encoding.UTF8.GetBytes(headerJson);
        var file = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)h.Length);
        h.CopyTo(file, 8);
        data.CopyTo(file, 8 + h.Length);
        return file;
    }

    [Fact]
    public void ParsesAHandBuiltFile()
    {
        var data = new byte[4 * 3 + 8];
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(0), 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -2f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(8), 0.25f);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(12), 7);
        var file = Build("""{"__metadata__":{"a":"b"},"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"n":{"dtype":"I64","shape":[],"data_offsets":[12,20]}}""", data);
        using var doc = SafeTensors.Parse(file, "hand");
        Assert.Equal(new[] { "w", "n" }, doc.Tensors.Keys);
        Assert.Equal(new[] { 1.5f, -2f, 0.25f }, doc.Tensors["w"].data<float>().ToArray());
        Assert.Equal(7L, doc.Tensors["n"].item<long>());
        Assert.Empty(doc.Tensors["n"].shape);
        Assert.Equal("b", doc.Metadata["a"]);
    }

    [Fact]
    public void LoadsThePretrainedResNet20()
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.PretrainedResNet20);
        Assert.Equal("6b9fea9a44388e791bdf73333a6b1a3c8687d674d226d5607060c48f871c05ce",
            Convert.ToHexStringLower(SHA256.HashData(bytes)));
        using var doc = SafeTensors.Load(TestPaths.PretrainedResNet20);
        Assert.Equal(97, doc.Tensors.Count);
        Assert.Equal(new long[] { 16, 3, 3, 3 }, doc.Tensors["conv1.weight"].shape);
        Assert.Equal(new long[] { 10, 64 }, doc.Tensors["linear.weight"].shape);
        Assert.All(doc.Tensors.Values, t => Assert.Equal(torch.ScalarType.Float32, t.dtype));
        Assert.Equal("pt", doc.Metadata["format"]);
        // Running variances of a trained network are positive.
        Assert.True(doc.Tensors["bn1.running_var"].min().item<float>() > 0);
    }

    [Fact]
    public void RoundTripsEveryDTypeAndMetadata()
    {
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, "rt.safetensors");
        var gen = torch.manual_seed(3);
        var src = new Dictionary<string, torch.Tensor>
        {
            ["f32"] = torch.randn(new long[] { 2, 3, 4 }),
            ["f64"] = torch.randn(5, dtype: torch.float64),
            ["f16"] = torch.randn(6).to(torch.float16),
            ["bf16"] = torch.randn(6).to(torch.bfloat16),
            ["i64"] = torch.arange(-3, 4, dtype: torch.int64),
            ["i32"] = torch.arange(0, 5, dtype: torch.int32),
            ["u8"] = torch.arange(0, 200, 7, dtype: torch.uint8),
            ["b"] = torch.tensor(new[] { true, false, true }),
            ["empty"] = torch.zeros(new long[] { 0, 4 }),
        };
        var meta = new Dictionary<string, string> { ["ecqx.step.f32"] = "0.0123", ["note"] = "ü" };
        SafeTensors.Save(path, src, meta);
        using var doc = SafeTensors.Load(path);
        Assert.Equal(src.Keys, doc.Tensors.Keys);
        foreach (var (k, t) in src)
        {
            Assert.Equal(t.dtype, doc.Tensors[k].dtype);
            Assert.Equal(t.shape, doc.Tensors[k].shape);
            Assert.True(t.eq(doc.Tensors[k]).all().item<bool>(), k);
        }
        Assert.Equal(meta, doc.Metadata);
        // header length is padded to a multiple of 8
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path)) % 8);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("headerTooLong")]
    [InlineData("badJson")]
    [InlineData("unknownDtype")]
    [InlineData("pastEnd")]
    [InlineData("sizeMismatch")]
    [InlineData("overlap")]
    [InlineData("negativeDim")]
    [InlineData("metadataNotString")]
    public void MalformedFilesGiveClearErrors(string kind)
    {
        var data = new byte[16];
        byte[] file = kind switch
        {
            "short" => new byte[5],
            "headerTooLong" => Build("{}", data).Also(f => BinaryPrimitives.WriteUInt64LittleEndian(f, 1000)),
            "badJson" => Build("{\"w\":", data),
            "unknownDtype" => Build("""{"w":{"dtype":"F8","shape":[4],"data_offsets":[0,4]}}""", data),
            "pastEnd" => Build("""{"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}""", data),
            "sizeMismatch" => Build("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}""", data),
            "overlap" => Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", data),
            "negativeDim" => Build("""{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}""", data),
            "metadataNotString" => Build("""{"__metadata__":{"a":1}}""", data),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(file, "bad.safetensors"));
        Assert.StartsWith("bad.safetensors: malformed safetensors file:", e.Message);
    }

    [Fact]
    public void TruncatedCopyOfARealFileIsRejected()
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.PretrainedResNet20);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(bytes.AsSpan(0, bytes.Length - 100), "cut"));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void BytesThatNoTensorOwnsAreRejected()
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.PretrainedResNet20);
        var trailing = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse([.. bytes, 1, 2, 3], "extra"));
        Assert.Contains("3 trailing byte(s) after the last tensor's data", trailing.Message);

        // a hole: the first tensor starts at 4 instead of 0 (header rewritten, lengths consistent)
        string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        byte[] h = System.Text.Encoding.UTF8.GetBytes(header);
        byte[] file = [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. new byte[8]];
        var hole = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(file, "hole"));
        Assert.Contains("bytes 0..4 of the data buffer belong to no tensor (before 'a')", hole.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x5F, 0x5F, 0x6D, 0x65, 0x74, 0x61, 0x64, 0x61, 0x74, 0x61, 0x5F, 0x5F, 0x22, 0x3A, 0x7B, 0x22, 0x6B, 0x22, 0x3A, 0x22, 0x93, 0x22, 0x7D, 0x7D },
        "header is not valid UTF-8")] // {"__metadata__":{"k":"<0x93>"}}
    [InlineData(new byte[] { 0x7B, 0x22, 0x5F, 0x5F, 0x6D, 0x65, 0x74, 0x61, 0x64, 0x61, 0x74, 0x61, 0x5F, 0x5F, 0x22, 0x3A, 0x7B, 0x22, 0x6B, 0x22, 0x3A, 0x22, 0x5C, 0x75, 0x64, 0x63, 0x30, 0x30, 0x22, 0x7D, 0x7D },
        "undecodable string")] // {"__metadata__":{"k":"\udc00"}}
    public void HeadersWithUndecodableTextAreRejected(byte[] header, string expected)
    {
        byte[] file = [.. BitConverter.GetBytes((ulong)header.Length), .. header];
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(file, "text"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ViewsSlicesAndEmptyTensorsAreWrittenAsTheirOwnValues()
    {
        TorchRuntime.EnsureLoaded();
        using var g = new torch.Generator(4);
        var baseTensor = torch.randn(new long[] { 6, 5 }, generator: g);
        var tensors = new Dictionary<string, torch.Tensor>
        {
            ["transposed"] = baseTensor.t(),                   // not contiguous
            ["tail rows"] = baseTensor.narrow(0, 3, 3),        // contiguous, at a storage offset
            ["column"] = baseTensor.select(1, 2),              // strided
            ["empty"] = torch.zeros(new long[] { 0, 4 }),
            ["ints"] = torch.arange(7L).narrow(0, 2, 4),
        };
        string path = Path.Combine(TestPaths.NewTempDir(), "views.safetensors");
        SafeTensors.Save(path, tensors);
        using var doc = SafeTensors.Load(path);
        Assert.Equal(tensors.Keys, doc.Tensors.Keys);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.shape, doc.Tensors[name].shape);
            Assert.Equal(t.dtype, doc.Tensors[name].dtype);
            Assert.True(t.numel() == 0 || t.eq(doc.Tensors[name]).all().item<bool>(), name);
        }
    }

    [Fact]
    public void DuplicateNamesAreRejectedOnSave()
    {
        var list = new[] { KeyValuePair.Create("a", torch.zeros(1)), KeyValuePair.Create("a", torch.zeros(1)) };
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(Path.Combine(TestPaths.NewTempDir(), "x"), list));
    }
}

internal static class FluentExtensions
{
    public static T Also<T>(this T value, Action<T> act) { act(value); return value; }
}
