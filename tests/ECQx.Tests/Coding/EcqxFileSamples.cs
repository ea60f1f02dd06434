using System.Buffers.Binary;
using System.IO.Compression;
using ECQx.Coding;
using ECQx.IO;
using Xunit;

namespace ECQx.Tests.Coding;

/// <summary>Small generated models and a section-level view of .ecqx bytes for corrupting them.</summary>
internal static class EcqxFileSamples
{
    internal static EcqxModel SmallModel(int seed = 1)
    {
        var random = new Random(seed);
        int[] conv = LevelSamples.Laplacian(8 * 4 * 3 * 3, 1.0, -8, 7, seed);
        int[] fc = LevelSamples.Laplacian(10 * 8, 0.7, -2, 1, seed + 1);
        var bnWeight = new byte[8 * 4];
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteSingleLittleEndian(bnWeight.AsSpan(4 * i), 1f + (float)random.NextDouble());
        var tracked = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(tracked, 12345);
        var halfBias = new byte[10 * 2];
        random.NextBytes(halfBias);
        for (int i = 0; i < 10; i++) halfBias[2 * i + 1] &= 0x3B; // finite binary16 values
        return new EcqxModel(
        [
            new QuantizedTensor("conv.weight", [8, 4, 3, 3], conv, 0.0123, 4, -8, [new ValuePatch(3, -0f), new ValuePatch(40, 0.5f)]),
            new RawTensor("bn.weight", EcqxDType.Float32, [8], bnWeight),
            new RawTensor("bn.num_batches_tracked", EcqxDType.Int64, [], tracked),
            new QuantizedTensor("fc.weight", [10, 8], fc, 0.25, 2, -2),
            new RawTensor("fc.bias", EcqxDType.Float16, [10], halfBias),
            new QuantizedTensor("empty.weight", [0, 3], [], 1.0, 1, 0),
        ], new Dictionary<string, string> { ["format"] = "pt", ["ecqx.note"] = "ünïcode ✓" });
    }

    /// <summary>Asserts that two models hold the same tensors (levels, steps, codebooks, patches, raw bytes) and metadata.</summary>
    internal static void AssertSameModel(EcqxModel expected, EcqxModel actual)
    {
        Assert.Equal(expected.Metadata.OrderBy(kv => kv.Key), actual.Metadata.OrderBy(kv => kv.Key));
        Assert.Equal(expected.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
        for (int i = 0; i < expected.Tensors.Count; i++)
        {
            var e = expected.Tensors[i];
            var a = actual.Tensors[i];
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.DType, a.DType);
            switch (e)
            {
                case QuantizedTensor q:
                    var aq = Assert.IsType<QuantizedTensor>(a);
                    Assert.Equal(q.Levels.ToArray(), aq.Levels.ToArray());
                    Assert.Equal(BitConverter.DoubleToInt64Bits(q.Step), BitConverter.DoubleToInt64Bits(aq.Step));
                    Assert.Equal(q.BitWidth, aq.BitWidth);
                    Assert.Equal(q.MinLevel, aq.MinLevel);
                    Assert.Equal(q.Patches.Select(p => (p.Index, BitConverter.SingleToInt32Bits(p.Value))),
                        aq.Patches.Select(p => (p.Index, BitConverter.SingleToInt32Bits(p.Value))));
                    break;
                case RawTensor r:
                    Assert.Equal(r.Data.ToArray(), Assert.IsType<RawTensor>(a).Data.ToArray());
                    break;
            }
        }
    }

    internal readonly record struct Section(uint Tag, byte[] Payload);

    /// <summary>The sections of a well-formed file (after the 16-byte header).</summary>
    internal static List<Section> Sections(byte[] file)
    {
        var sections = new List<Section>();
        int position = 16;
        while (position < file.Length)
        {
            uint tag = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(position));
            int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(position + 4));
            sections.Add(new Section(tag, file.AsSpan(position + 12, length).ToArray()));
            position += 16 + length;
        }
        return sections;
    }

    /// <summary>Reassembles a file from a header and sections, with correct checksums.</summary>
    internal static byte[] Assemble(ReadOnlySpan<byte> header, IEnumerable<Section> sections)
    {
        var output = new List<byte>(header.ToArray());
        foreach (var s in sections)
        {
            var framed = new byte[12 + s.Payload.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(framed, s.Tag);
            BinaryPrimitives.WriteUInt64LittleEndian(framed.AsSpan(4), (ulong)s.Payload.Length);
            s.Payload.CopyTo(framed, 12);
            output.AddRange(framed);
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32.Compute(framed));
            output.AddRange(crc);
        }
        return output.ToArray();
    }

    /// <summary>The MODL body of a MODL payload (inflated when the payload's first byte says Deflate).</summary>
    internal static byte[] ModelBody(byte[] payload)
    {
        if (payload[0] == 0) return payload[1..];
        using var inflate = new DeflateStream(new MemoryStream(payload[1..]), CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflate.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>An uncompressed MODL payload for a body.</summary>
    internal static byte[] ModelPayload(byte[] body) => [0, .. body];

    /// <summary>A 16-byte header with the given version and a correct checksum.</summary>
    internal static byte[] Header(ushort major, ushort minor)
    {
        var header = new byte[16];
        EcqxModelFile.Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), major);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(10), minor);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), Crc32.Compute(header.AsSpan(0, 12)));
        return header;
    }
}
