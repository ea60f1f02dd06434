using System.Buffers.Binary;
using System.IO.Compression;

namespace ECQx.Tests.Notebooks;

/// <summary>
/// A minimal PNG reader for tests (8-bit RGB/RGBA, non-interlaced, all five scanline filters): checks the signature
/// and chunk CRCs, and decodes the pixels so tests can look at what a renderer drew.
/// </summary>
internal sealed class PngImage
{
    private static readonly byte[] Signature = { 137, 80, 78, 71, 13, 10, 26, 10 };

    private PngImage(int width, int height, int channels, byte[] pixels) => (Width, Height, Channels, Pixels) = (width, height, channels, pixels);

    public int Width { get; }
    public int Height { get; }
    /// <summary>3 (RGB) or 4 (RGBA).</summary>
    public int Channels { get; }
    /// <summary>Row-major, <see cref="Channels"/> bytes per pixel.</summary>
    public byte[] Pixels { get; }

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * Channels;
            return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
    }

    /// <summary>Variance of the grey value (R+G+B)/3 over all pixels: 0 for a blank image.</summary>
    public double GreyVariance()
    {
        double sum = 0, sumSq = 0;
        int n = Width * Height;
        for (int p = 0; p < n; p++)
        {
            int i = p * Channels;
            double g = (Pixels[i] + Pixels[i + 1] + Pixels[i + 2]) / 3.0;
            sum += g;
            sumSq += g * g;
        }
        double mean = sum / n;
        return sumSq / n - mean * mean;
    }

    /// <summary>How many pixels are within <paramref name="tolerance"/> of the colour in every channel.</summary>
    public int CountColour(byte r, byte g, byte b, int tolerance = 8)
    {
        int count = 0;
        for (int p = 0; p < Width * Height; p++)
        {
            int i = p * Channels;
            if (Math.Abs(Pixels[i] - r) <= tolerance && Math.Abs(Pixels[i + 1] - g) <= tolerance && Math.Abs(Pixels[i + 2] - b) <= tolerance) count++;
        }
        return count;
    }

    public static PngImage Decode(byte[] png)
    {
        if (png.Length < 8 || !png.AsSpan(0, 8).SequenceEqual(Signature)) throw new InvalidDataException("not a PNG: wrong signature");
        int pos = 8, width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        bool end = false;
        while (!end)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            if (Crc(png.AsSpan(pos + 4, 4 + length)) != crc) throw new InvalidDataException($"PNG chunk {type}: CRC mismatch");
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    if (data[8] != 8) throw new InvalidDataException($"bit depth {data[8]} not supported");
                    channels = data[9] switch { 2 => 3, 6 => 4, var c => throw new InvalidDataException($"colour type {c} not supported") };
                    if (data[12] != 0) throw new InvalidDataException("interlaced PNG not supported");
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    end = true;
                    break;
            }
            pos += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        byte[] filtered = raw.ToArray();
        int stride = width * channels;
        if (filtered.Length != height * (stride + 1)) throw new InvalidDataException($"PNG data has {filtered.Length} bytes, expected {height * (stride + 1)}");
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            byte filter = filtered[y * (stride + 1)];
            for (int x = 0; x < stride; x++)
            {
                int a = x >= channels ? pixels[y * stride + x - channels] : 0;
                int b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
                int c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
                int v = filtered[y * (stride + 1) + 1 + x];
                int predictor = filter switch
                {
                    0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"unknown PNG filter {filter} in row {y}"),
                };
                pixels[y * stride + x] = (byte)(v + predictor);
            }
        }
        return new PngImage(width, height, channels, pixels);
    }

    /// <summary>CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320), bit by bit.</summary>
    private static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
