using System.Buffers.Binary;

namespace ECQx.Data.Speech;

/// <summary>Writes 16-bit PCM mono RIFF/WAVE files (the Speech Commands format that <see cref="WavReader"/> reads).</summary>
public static class WavWriter
{
    /// <summary>The bytes of a WAV file holding <paramref name="samples"/> at <paramref name="sampleRate"/> Hz.</summary>
    public static byte[] Encode(ReadOnlySpan<short> samples, int sampleRate = 16_000)
    {
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        int dataBytes = checked(samples.Length * 2);
        var b = new byte[44 + dataBytes];
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)(36 + dataBytes));
        "WAVEfmt "u8.CopyTo(b.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(20), 1);            // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(22), 1);            // mono
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(24), sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(28), sampleRate * 2); // byte rate
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(32), 2);            // block align
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(34), 16);           // bits per sample
        "data"u8.CopyTo(b.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(40), (uint)dataBytes);
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(44 + 2 * i), samples[i]);
        return b;
    }

    /// <summary>Writes <paramref name="samples"/> to <paramref name="path"/> atomically (folders are created).</summary>
    public static void Write(string path, ReadOnlySpan<short> samples, int sampleRate = 16_000)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        IO.AtomicFile.WriteAllBytes(path, Encode(samples, sampleRate));
    }
}
