using System.Text;
using ECQx.IO;
using FsCheck;
using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.IO;

public class NpyTests
{
    /// <summary>Builds a .npy file by hand (independent of the writer).</summary>
    private static byte[] HandMade(string dict, byte[] data, int major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        int pad = (64 - (prefix + dict.Length + 1) % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.Add((byte)major); bytes.Add(0);
        if (major == 1) bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
        else bytes.AddRange(BitConverter.GetBytes((uint)header.Length));
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void ReadsAHandMadeFloat32File()
    {
        TorchRuntime.EnsureLoaded();
        var file = HandMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Floats(1, 2, 3, 4, 5, 6.5f));
        var t = Npy.Parse(file, "x.npy");
        Assert.Equal(new long[] { 2, 3 }, t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal(6.5f, t[1, 2].item<float>());
        Assert.Equal(2f, t[0, 1].item<float>());
    }

    [Fact]
    public void ReadsVersion2AndBigEndianAndScalarAndEmpty()
    {
        TorchRuntime.EnsureLoaded();
        var v2 = Npy.Parse(HandMade("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", BitConverter.GetBytes(7L).Concat(BitConverter.GetBytes(-9L)).ToArray(), major: 2), "v2.npy");
        Assert.Equal(new[] { 7L, -9L }, v2.data<long>().ToArray());
        var be = Npy.Parse(HandMade("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", new byte[] { 0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFE }), "be.npy");
        Assert.Equal(new[] { 258, -2 }, be.data<int>().ToArray());
        var scalar = Npy.Parse(HandMade("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(2.5)), "s.npy");
        Assert.Empty(scalar.shape);
        Assert.Equal(2.5, scalar.item<double>());
        var empty = Npy.Parse(HandMade("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 4), }", Array.Empty<byte>()), "e.npy");
        Assert.Equal(new long[] { 0, 4 }, empty.shape);
    }

    [Fact]
    public void WriterOutputHasTheNumpyLayout()
    {
        TorchRuntime.EnsureLoaded();
        var bytes = Npy.ToBytes(tensor(new[] { 1.0f, 2.0f, 3.0f }));
        Assert.Equal(0x93, bytes[0]);
        Assert.Equal("NUMPY", Encoding.ASCII.GetString(bytes, 1, 5));
        Assert.Equal(1, bytes[6]);
        int headerLen = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + headerLen) % 64);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLen);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", header);
        Assert.EndsWith("\n", header);
        Assert.Equal(10 + headerLen + 12, bytes.Length);
        Assert.Equal(3.0f, BitConverter.ToSingle(bytes, 10 + headerLen + 8));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Int64)]
    [InlineData(ScalarType.Int32)]
    [InlineData(ScalarType.Byte)]
    [InlineData(ScalarType.Bool)]
    [InlineData(ScalarType.Int8)]
    [InlineData(ScalarType.Int16)]
    public void RoundTripsEveryDtypeThroughAFile(ScalarType type)
    {
        TorchRuntime.EnsureLoaded();
        using var g = new Generator(4, CPU);
        var t = (randn(new long[] { 3, 4, 2 }, generator: g) * 50).to_type(type);
        string path = Path.Combine(TestPaths.NewTempDir(), "a.npy");
        Npy.Write(path, t);
        var back = Npy.Read(path);
        Assert.Equal(type, back.dtype);
        Assert.True(TensorAssert.Same(t, back));
    }

    [Property(MaxTest = 40)]
    public void RoundTripsArbitraryShapes(PositiveInt a, PositiveInt b, NormalFloat v)
    {
        TorchRuntime.EnsureLoaded();
        long d0 = a.Get % 7 + 1, d1 = b.Get % 5;
        var t = full(new[] { d0, d1 }, (float)v.Get);
        var back = Npy.Parse(Npy.ToBytes(t), "mem");
        Assert.True(TensorAssert.Same(t, back));
    }

    [Fact]
    public void NonContiguousTensorsAreWrittenInCOrder()
    {
        TorchRuntime.EnsureLoaded();
        var t = arange(6, dtype: ScalarType.Float32).view(2, 3).t();
        var back = Npy.Parse(Npy.ToBytes(t), "mem");
        Assert.True(TensorAssert.Same(t, back));
    }

    [Fact]
    public void MalformedFilesAreClearErrors()
    {
        TorchRuntime.EnsureLoaded();
        var good = HandMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Floats(1, 2, 3, 4, 5, 6));
        var e1 = Assert.Throws<InvalidDataException>(() => Npy.Parse(good[..^4], "t.npy"));
        Assert.Contains("t.npy", e1.Message);
        Assert.Contains("truncated", e1.Message);
        var e2 = Assert.Throws<InvalidDataException>(() => Npy.Parse(HandMade("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", Floats(1, 2, 3, 4, 5, 6)), "f.npy"));
        Assert.Contains("Fortran", e2.Message);
        var e3 = Assert.Throws<InvalidDataException>(() => Npy.Parse(HandMade("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8]), "c.npy"));
        Assert.Contains("<c8", e3.Message);
        var e4 = Assert.Throws<InvalidDataException>(() => Npy.Parse(Encoding.ASCII.GetBytes("not a numpy file at all"), "n.npy"));
        Assert.Contains("magic", e4.Message);
        var e5 = Assert.Throws<InvalidDataException>(() => Npy.Parse(good[..40], "h.npy"));
        Assert.Contains("header", e5.Message);
        var e6 = Assert.Throws<InvalidDataException>(() => Npy.Parse(HandMade("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4]), "s.npy"));
        Assert.Contains("structured", e6.Message);
        var e7 = Assert.Throws<InvalidDataException>(() => Npy.Parse(HandMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", new byte[8]), "d.npy"));
        Assert.Contains("shape", e7.Message);
        var e8 = Assert.Throws<InvalidDataException>(() => Npy.Parse(good.Concat(new byte[3]).ToArray(), "x.npy"));
        Assert.Contains("unexpected bytes", e8.Message);
        Assert.Throws<FileNotFoundException>(() => Npy.Read(Path.Combine(TestPaths.NewTempDir(), "missing.npy")));
    }
}
