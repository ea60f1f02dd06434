namespace ECQx.IO;

/// <summary>
/// CRC-32 (IEEE 802.3 / zlib / PNG: reflected polynomial 0xEDB88320, initial value and final xor
/// 0xFFFFFFFF), slicing-by-8: the .ecqx container checksums and the gzip trailers of downloads. The check value of the ASCII bytes "123456789" is 0xCBF43926.
/// </summary>
public static class Crc32
{
    private const uint Polynomial = 0xEDB88320u;
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            table[i] = c;
        }
        for (int t = 1; t < 8; t++)
            for (int i = 0; i < 256; i++)
            {
                uint previous = table[(t - 1) * 256 + i];
                table[t * 256 + i] = (previous >> 8) ^ table[previous & 0xFF];
            }
        return table;
    }

    /// <summary>CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// CRC-32 of the concatenation of the data that gave <paramref name="crc"/> and <paramref name="data"/>
    /// (<c>Append(Compute(a), b) == Compute(a ++ b)</c>).
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        var t = Table.AsSpan();
        while (data.Length >= 8)
        {
            uint lo = c ^ (uint)(data[0] | data[1] << 8 | data[2] << 16 | data[3] << 24);
            uint hi = (uint)(data[4] | data[5] << 8 | data[6] << 16 | data[7] << 24);
            c = t[7 * 256 + (int)(lo & 0xFF)] ^ t[6 * 256 + (int)((lo >> 8) & 0xFF)]
              ^ t[5 * 256 + (int)((lo >> 16) & 0xFF)] ^ t[4 * 256 + (int)(lo >> 24)]
              ^ t[3 * 256 + (int)(hi & 0xFF)] ^ t[2 * 256 + (int)((hi >> 8) & 0xFF)]
              ^ t[1 * 256 + (int)((hi >> 16) & 0xFF)] ^ t[(int)(hi >> 24)];
            data = data[8..];
        }
        foreach (byte b in data) c = (c >> 8) ^ t[(int)((c ^ b) & 0xFF)];
        return ~c;
    }
}
