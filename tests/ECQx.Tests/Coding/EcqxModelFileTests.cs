using System.Buffers.Binary;
using System.Diagnostics;
using ECQx.Coding;
using Xunit;
using ECQx.Tests.Fuzzing;

namespace ECQx.Tests.Coding;

public class EcqxModelFileTests
{
    [Fact]
    public void RoundTripsThroughAFile()
    {
        var model = EcqxFileSamples.SmallModel();
        string path = Path.Combine(TestPaths.NewTempDir(), "m.ecqx");
        EcqxModelFile.Write(path, model);
        var contents = EcqxModelFile.ReadDetailed(path);
        EcqxFileSamples.AssertSameModel(model, contents.Model);
        Assert.Equal(new FileInfo(path).Length, contents.FileBytes);
        Assert.Equal(new[] { EcqxStorage.Levels, EcqxStorage.Raw, EcqxStorage.Raw, EcqxStorage.Levels, EcqxStorage.Raw, EcqxStorage.Levels },
            contents.Storage.Select(s => s.Storage));
        // Sections: MODL, one LVLS per quantized tensor, RAWS, ENDS; sizes add up.
        var sections = EcqxFileSamples.Sections(File.ReadAllBytes(path));
        Assert.Equal(["MODL", "LVLS", "LVLS", "LVLS", "RAWS", "ENDS"], sections.Select(s => System.Text.Encoding.ASCII.GetString(BitConverter.GetBytes(s.Tag))));
        long framing = EcqxModelFile.HeaderBytes + EcqxModelFile.SectionFramingBytes * sections.Count;
        Assert.Equal(contents.FileBytes, framing + sections.Sum(s => (long)s.Payload.Length));
        var levels = contents.Storage.Where(s => s.Storage == EcqxStorage.Levels).Select(s => s.PayloadBytes);
        Assert.Equal(sections.Skip(1).Take(3).Select(s => (long)s.Payload.Length), levels);
        Assert.Equal(new long[] { 32, 8, 20 }, contents.Storage.Where(s => s.Storage != EcqxStorage.Levels).Select(s => s.PayloadBytes));
        Assert.Equal(60, sections[4].Payload.Length);
    }

    [Fact]
    public void SerializationIsDeterministic()
    {
        var model = EcqxFileSamples.SmallModel();
        Assert.Equal(EcqxModelFile.Serialize(model), EcqxModelFile.Serialize(model));
    }

    [Fact]
    public void Float16OptionRoundsOnlyFloatRawTensors()
    {
        var model = EcqxFileSamples.SmallModel();
        var options = new EcqxWriteOptions { StoreFloatsAsFloat16 = true };
        var contents = EcqxModelFile.Parse(EcqxModelFile.Serialize(model, options), "mem");
        Assert.Equal(EcqxStorage.Float16, contents.Storage[1].Storage);
        Assert.Equal(EcqxStorage.Raw, contents.Storage[2].Storage); // int64 stays raw
        var original = (RawTensor)model["bn.weight"];
        var stored = (RawTensor)contents.Model["bn.weight"];
        Assert.Equal(EcqxDType.Float32, stored.DType);
        for (int i = 0; i < 8; i++)
        {
            float x = BinaryPrimitives.ReadSingleLittleEndian(original.Data.Span[(4 * i)..]);
            float y = BinaryPrimitives.ReadSingleLittleEndian(stored.Data.Span[(4 * i)..]);
            Assert.Equal((float)(Half)x, y);
        }
        Assert.Equal(((RawTensor)model["bn.num_batches_tracked"]).Data.ToArray(), ((RawTensor)contents.Model["bn.num_batches_tracked"]).Data.ToArray());
        Assert.Equal(((QuantizedTensor)model["conv.weight"]).Levels.ToArray(), ((QuantizedTensor)contents.Model["conv.weight"]).Levels.ToArray());
        // 8 floats shrink from 32 to 16 bytes.
        Assert.Equal(16, contents.Storage[1].PayloadBytes);
    }

    [Fact]
    public void HeaderProblemsAreNamed()
    {
        byte[] file = EcqxModelFile.Serialize(EcqxFileSamples.SmallModel());
        var sections = EcqxFileSamples.Sections(file);

        Assert.Contains("not an .ecqx file", Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(file.AsSpan(0, 10), "f")).Message);
        byte[] badMagic = (byte[])file.Clone();
        badMagic[1] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(badMagic, "f")).Message);

        var future = EcqxFileSamples.Assemble(EcqxFileSamples.Header(2, 0), sections);
        var e = Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(future, "f.ecqx"));
        Assert.Contains("version 2.0", e.Message);
        Assert.StartsWith("f.ecqx", e.Message);

        // A later minor version of the same major version is read.
        EcqxFileSamples.AssertSameModel(EcqxFileSamples.SmallModel(), EcqxModelFile.Parse(EcqxFileSamples.Assemble(EcqxFileSamples.Header(1, 7), sections), "f").Model);
    }

    [Fact]
    public void SectionProblemsAreNamed()
    {
        byte[] file = EcqxModelFile.Serialize(EcqxFileSamples.SmallModel());
        var sections = EcqxFileSamples.Sections(file);

        byte[] flipped = (byte[])file.Clone();
        flipped[16 + 12 + 3] ^= 0x10; // inside the MODL payload
        Assert.Contains("section MODL checksum mismatch", Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(flipped, "f")).Message);

        int levelsPayload = 16 + 16 + sections[0].Payload.Length + 12 + 5;
        flipped = (byte[])file.Clone();
        flipped[levelsPayload] ^= 0x01;
        Assert.Contains("section LVLS of tensor 'conv.weight' checksum mismatch", Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(flipped, "f")).Message);

        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(file.AsSpan(0, file.Length - 3), "f")).Message);
        Assert.Contains("trailing", Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse([.. file, 0, 1, 2], "f")).Message);

        var swapped = new List<EcqxFileSamples.Section>(sections);
        (swapped[1], swapped[^2]) = (swapped[^2], swapped[1]);
        var wrongOrder = EcqxFileSamples.Assemble(EcqxFileSamples.Header(1, 0), swapped);
        Assert.Contains("expected section LVLS of tensor 'conv.weight'", Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(wrongOrder, "f")).Message);
    }

    [Fact]
    public void AbsurdShapesAreRejectedBeforeAllocating()
    {
        var model = new EcqxModel([new QuantizedTensor("w", [4, 4], new int[16], 0.5, 4, -8)]);
        var sections = EcqxFileSamples.Sections(EcqxModelFile.Serialize(model));
        byte[] modl = EcqxFileSamples.ModelBody(sections[0].Payload);
        // MODL body: 0 metadata, 1 tensor, name "w" (len 1), dtype, rank 2, dims 4 4 → patch the dims.
        Assert.Equal(new byte[] { 0, 1, 1, (byte)'w', 1, 2, 4, 4 }, modl[..8]);

        byte[] Huge(params byte[] dims)
        {
            var payload = new List<byte>(modl[..6]) { };
            payload.AddRange(dims);
            payload.AddRange(modl[8..]);
            var copy = new List<EcqxFileSamples.Section>(sections) { [0] = new(sections[0].Tag, EcqxFileSamples.ModelPayload(payload.ToArray())) };
            return EcqxFileSamples.Assemble(EcqxFileSamples.Header(1, 0), copy);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        // 2^30 × 2^30 elements: more than an array can hold.
        var e1 = Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(Huge(0x80, 0x80, 0x80, 0x80, 0x04, 0x80, 0x80, 0x80, 0x80, 0x04), "f"));
        Assert.Contains("elements", e1.Message);
        // A single dimension beyond the array limit.
        var e0 = Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(Huge(0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01), "f"));
        Assert.Contains("dimension", e0.Message);
        // 2^20 × 2^10 = 2^30 elements from a stream of a few bytes: the level coder refuses the count.
        var e2 = Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(Huge(0x80, 0x80, 0x40, 0x80, 0x08), "f"));
        Assert.Contains("cannot hold", e2.Message);
        Assert.Contains("tensor 'w'", e2.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "parsing absurd shapes allocated more than 1 MiB");
    }

    /// <summary>A raw-Deflate stream of <paramref name="zeros"/> zero bytes (about 1 byte per KiB).</summary>
    private static byte[] DeflatedZeros(long zeros)
    {
        using var output = new MemoryStream();
        using (var deflate = new System.IO.Compression.DeflateStream(output, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            var chunk = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= chunk.Length) deflate.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
        }
        return output.ToArray();
    }

    [Fact]
    public void AModelSectionThatInflatesPastTheCapIsRefusedWithoutBufferingToIt()
    {
        // a MODL body of 320 MiB of zeros, deflated to ~320 KB: past the 256 MiB cap
        byte[] bomb = DeflatedZeros(320L << 20);
        var sections = EcqxFileSamples.Sections(EcqxModelFile.Serialize(EcqxFileSamples.SmallModel()));
        var copy = new List<EcqxFileSamples.Section>(sections) { [0] = new(sections[0].Tag, [1, .. bomb]) };
        byte[] file = EcqxFileSamples.Assemble(EcqxFileSamples.Header(1, 0), copy);
        Assert.True(file.Length < 1 << 20, $"the fixture should be small, is {file.Length:N0} bytes");

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(file, "bomb.ecqx"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("bomb.ecqx", e.Message);
        Assert.Contains($"compressed body inflates beyond {1 << 28} bytes; decompression was stopped there", e.Message);
        Assert.True(allocated < 16 << 20, $"refusing the bomb allocated {allocated:N0} bytes");

        // the inflater stops reading the compressed stream once the inflated bytes pass the limit
        using var counted = new CountingReadStream(new MemoryStream(bomb));
        e = Assert.Throws<InvalidDataException>(() => EcqxModelSection.InflateBounded(counted, 16 << 20, "body"));
        Assert.Equal($"body: compressed body inflates beyond {16 << 20} bytes; decompression was stopped there.", e.Message);
        Assert.True(counted.BytesRead < bomb.Length / 4, $"read {counted.BytesRead:N0} of {bomb.Length:N0} compressed bytes for a limit of 1/20 of the data");

        // a body within the limit inflates to exactly its bytes
        using var small = new MemoryStream(DeflatedZeros(100_000));
        Assert.Equal(new byte[100_000], EcqxModelSection.InflateBounded(small, 100_000, "body"));
        small.Position = 0;
        Assert.Contains("inflates beyond 99999 bytes", Assert.Throws<InvalidDataException>(() => EcqxModelSection.InflateBounded(small, 99_999, "body")).Message);
    }

    /// <summary>A seekable read-only wrapper that counts the bytes read through it.</summary>
    private sealed class CountingReadStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void DecodedLevelsOutsideTheCodebookAreRejected()
    {
        var model = new EcqxModel([new QuantizedTensor("w", [4], [0, 1, 7, -8], 0.5, 4, -8)]);
        var sections = EcqxFileSamples.Sections(EcqxModelFile.Serialize(model));
        // Re-declare the codebook as 2-bit {−2..1}: the stream still holds 7 and −8.
        byte[] modl = EcqxFileSamples.ModelBody(sections[0].Payload);
        Assert.Equal(4, modl[^1]);
        modl[^1] = 2;
        modl[^2] = 3; // zigzag(−2)
        var copy = new List<EcqxFileSamples.Section>(sections) { [0] = new(sections[0].Tag, EcqxFileSamples.ModelPayload(modl)) };
        var e = Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(EcqxFileSamples.Assemble(EcqxFileSamples.Header(1, 0), copy), "f"));
        Assert.Contains("outside the 2-bit codebook", e.Message);
    }

    [Theory]
    [InlineData(1e308, "step 1E+308 × largest level 8 = ", "overflows float32")]
    [InlineData(1e38, "step 1E+38 × largest level 8 = 8E+38", "overflows float32")]
    [InlineData(5e-324, "has step 5E-324; it must be finite and at least 1.1754943508222875E-38", "smallest normal float32")]
    [InlineData(1e-39, "has step 1E-39;", "smallest normal float32")]
    public void AForgedStepThatOverflowsOrDegeneratesIsRejected(double forged, string expected, string reason)
    {
        var model = new EcqxModel([new QuantizedTensor("w", [4], [0, 1, 7, -8], 0.5, 4, -8)]);
        var sections = EcqxFileSamples.Sections(EcqxModelFile.Serialize(model));
        byte[] modl = EcqxFileSamples.ModelBody(sections[0].Payload);
        byte[] half = BitConverter.GetBytes(0.5);
        int at = modl.AsSpan().IndexOf(half);
        Assert.True(at >= 0 && modl.AsSpan(at + 1).IndexOf(half) < 0, "the step must appear once in the model description");
        BitConverter.GetBytes(forged).CopyTo(modl, at);
        var copy = new List<EcqxFileSamples.Section>(sections) { [0] = new(sections[0].Tag, EcqxFileSamples.ModelPayload(modl)) };
        var e = Assert.Throws<InvalidDataException>(() => EcqxModelFile.Parse(EcqxFileSamples.Assemble(EcqxFileSamples.Header(1, 0), copy), "forged.ecqx"));
        Assert.Contains("forged.ecqx", e.Message);
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void TheEncoderRefusesWhatTheDecoderWouldRefuse()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuantizedTensor("w", [2], [0, 1], 5e-324, 2, 0));
        Assert.Throws<ArgumentException>(() => new QuantizedTensor("w", [2], [0, 3], 2e38, 2, 0));
        Assert.Equal(3.4e38, new QuantizedTensor("w", [2], [0, 1], 3.4e38, 2, 0).Step); // 1 × 3.4e38 still fits float32
    }

    [Fact]
    public void ThousandsOfCorruptedFilesFailCleanly()
    {
        var random = new Random(2024);
        byte[] file = EcqxModelFile.Serialize(EcqxFileSamples.SmallModel());
        var sections = EcqxFileSamples.Sections(file);
        var watch = Stopwatch.StartNew();
        int rawRejected = 0, framedRejected = 0;

        bool Rejects(byte[] bytes)
        {
            try
            {
                EcqxModelFile.Parse(bytes, "fuzz");
                return false;
            }
            catch (InvalidDataException)
            {
                return true;
            }
        }

        for (int trial = 0; trial < 4000; trial++)
        {
            // Raw corruption: flips, truncation, trailing garbage, overwritten runs.
            var kind = SeededCorruption.InTurn(trial);
            byte[] corrupt = SeededCorruption.Apply(file, kind, random, maxRun: kind == Corruption.AppendGarbage ? 39 : 15);
            if (Rejects(corrupt)) rawRejected++;

            // Payload corruption with valid checksums, so the parsers themselves see hostile content.
            var copy = sections.Select(s => new EcqxFileSamples.Section(s.Tag, (byte[])s.Payload.Clone())).ToList();
            int which = random.Next(copy.Count - 1);
            byte[] payload = copy[which].Payload;
            if (payload.Length > 0 && random.Next(3) > 0)
            {
                for (int f = random.Next(1, 4); f > 0; f--) payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8));
            }
            else
            {
                var replaced = new byte[random.Next(0, payload.Length + 8)];
                random.NextBytes(replaced);
                if (replaced.Length > 0 && random.Next(2) == 0) replaced[0] = (byte)random.Next(3);
                copy[which] = new(copy[which].Tag, replaced);
            }
            if (Rejects(EcqxFileSamples.Assemble(EcqxFileSamples.Header(1, 0), copy))) framedRejected++;
        }
        // Every raw corruption is caught (checksums, lengths, trailing bytes). Corruption behind valid
        // checksums can be undetectable (a flipped bit of a raw float is still a float), but must never
        // escape as anything other than InvalidDataException; most is still caught by the parsers.
        Assert.Equal(4000, rawRejected);
        Assert.True(framedRejected > 2000, $"only {framedRejected} of 4000 checksum-valid corruptions were rejected");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "fuzzing took too long (hang?)");
    }

    [Fact]
    public void MissingFileIsReported()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "missing.ecqx");
        var e = Assert.Throws<FileNotFoundException>(() => EcqxModelFile.Read(path));
        Assert.Contains("missing.ecqx", e.Message);
    }

    /// <summary>A cancelled write codes nothing and leaves no file; the same model then writes and reads back.</summary>
    [Fact]
    public void CancelledWriteWritesNothing()
    {
        var model = EcqxFileSamples.SmallModel();
        string path = Path.Combine(TestPaths.NewTempDir(), "m.ecqx");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => EcqxModelFile.Write(path, model, cancellationToken: cancelled.Token));
        Assert.False(File.Exists(path));
        EcqxModelFile.Write(path, model, cancellationToken: CancellationToken.None);
        EcqxFileSamples.AssertSameModel(model, EcqxModelFile.Read(path));
    }
}
