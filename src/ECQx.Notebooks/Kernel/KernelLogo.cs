using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// The kernel's logo, drawn in code (no image files to keep in sync): a white "C" ring and a "#" on a blue
/// rounded square, written as an RGBA PNG of any size (Jupyter wants 32×32 and 64×64).
/// </summary>
internal static class KernelLogo
{
    /// <summary>The PNG file bytes of a <paramref name="size"/>×<paramref name="size"/> logo.</summary>
    internal static byte[] Png(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        var raw = new byte[size * (1 + 4 * size)];
        for (int y = 0; y < size; y++)
        {
            int row = y * (1 + 4 * size);
            raw[row] = 0; // filter: none
            for (int x = 0; x < size; x++)
            {
                (byte r, byte g, byte b, byte a) = Pixel((x + 0.5) / size, (y + 0.5) / size);
                int p = row + 1 + 4 * x;
                (raw[p], raw[p + 1], raw[p + 2], raw[p + 3]) = (r, g, b, a);
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, size);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), size);
        header[8] = 8;  // bit depth
        header[9] = 6;  // colour type RGBA
        WriteChunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true)) zlib.Write(raw);
            WriteChunk(png, "IDAT", compressed.ToArray());
        }
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>The colour at (u, v) in [0, 1]².</summary>
    private static (byte R, byte G, byte B, byte A) Pixel(double u, double v)
    {
        // Rounded square background.
        double dx = Math.Max(Math.Abs(u - 0.5) - 0.32, 0), dy = Math.Max(Math.Abs(v - 0.5) - 0.32, 0);
        if (dx * dx + dy * dy > 0.16 * 0.16) return (0, 0, 0, 0);
        (byte, byte, byte, byte) white = (255, 255, 255, 255), blue = (38, 84, 166, 255);
        // "C": a ring around (0.36, 0.5) open to the right.
        double cx = u - 0.36, cy = v - 0.5, radius = Math.Sqrt(cx * cx + cy * cy);
        if (radius is > 0.15 and < 0.25 && !(cx > 0 && Math.Abs(cy) < 0.75 * cx)) return white;
        // "#": two vertical and two horizontal bars right of the C.
        bool vertical = (Math.Abs(u - 0.66) < 0.025 || Math.Abs(u - 0.78) < 0.025) && Math.Abs(v - 0.5) < 0.16;
        bool horizontal = (Math.Abs(v - 0.44) < 0.025 || Math.Abs(v - 0.56) < 0.025) && Math.Abs(u - 0.72) < 0.13;
        return vertical || horizontal ? white : blue;
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, ECQx.IO.Crc32.Append(ECQx.IO.Crc32.Compute(typeBytes), data));
        png.Write(word);
    }
}
