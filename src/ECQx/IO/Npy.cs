using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TorchSharp;

namespace ECQx.IO;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0; C order). Supported dtypes:
/// <c>f2 f4 f8 i1 i2 i4 i8 u1 b1</c> in either byte order (big-endian data is converted). Fortran-order arrays,
/// structured dtypes, unsupported dtypes and truncated or malformed files raise an
/// <see cref="InvalidDataException"/> naming the file and the problem. Writes are atomic and use format 1.0
/// (2.0 when the header does not fit), little-endian, with the header padded to 64 bytes as NumPy does.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    /// <summary>Reads a <c>.npy</c> file into a tensor on <paramref name="device"/> (CPU when null).</summary>
    public static torch.Tensor Read(string path, torch.Device? device = null)
    {
        TorchRuntime.EnsureLoaded();
        if (!File.Exists(path)) throw new FileNotFoundException($".npy file not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path, device);
    }

    /// <summary>Parses <c>.npy</c> bytes; <paramref name="sourceName"/> is used in error messages.</summary>
    public static torch.Tensor Parse(ReadOnlySpan<byte> file, string sourceName, torch.Device? device = null)
    {
        TorchRuntime.EnsureLoaded();
        if (file.Length < 10 || !file[..6].SequenceEqual(Magic))
            throw Bad(sourceName, file.Length < 10 ? $"file is {file.Length} bytes, too short for a .npy header" : "missing the \\x93NUMPY magic string");
        byte major = file[6], minor = file[7];
        int headerStart, headerLen;
        switch (major)
        {
            case 1:
                headerLen = BinaryPrimitives.ReadUInt16LittleEndian(file[8..]);
                headerStart = 10;
                break;
            case 2 or 3:
                if (file.Length < 12) throw Bad(sourceName, "file too short for a version 2/3 header");
                uint len = BinaryPrimitives.ReadUInt32LittleEndian(file[8..]);
                if (len > int.MaxValue - 12) throw Bad(sourceName, $"header length {len} is implausible");
                headerLen = (int)len;
                headerStart = 12;
                break;
            default:
                throw Bad(sourceName, $"unsupported format version {major}.{minor}");
        }
        if (headerStart + headerLen > file.Length)
            throw Bad(sourceName, $"header of {headerLen} bytes runs past the end of the {file.Length}-byte file (truncated?)");
        var headerBytes = file.Slice(headerStart, headerLen);
        string header;
        try
        {
            header = major == 3 ? new UTF8Encoding(false, true).GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException) { throw Bad(sourceName, "header is not valid UTF-8"); }

        var (descr, fortran, shape) = ParseHeader(header, sourceName);
        if (fortran)
            throw Bad(sourceName, "the array is stored in Fortran order, which is not supported; save it with np.ascontiguousarray(a) first");
        var (type, size, bigEndian) = ParseDescr(descr, sourceName);

        long numel = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw Bad(sourceName, $"negative dimension {d} in shape");
            if (d != 0 && numel > long.MaxValue / d) throw Bad(sourceName, "shape overflows");
            numel *= d;
        }
        if (numel > long.MaxValue / size) throw Bad(sourceName, "shape overflows");
        long need = numel * size;
        long have = file.Length - (headerStart + headerLen);
        if (have < need)
            throw Bad(sourceName, $"data is truncated: dtype {descr} and shape ({string.Join(", ", shape)}) need {need} bytes but only {have} follow the header");
        if (have > need)
            throw Bad(sourceName, $"{have - need} unexpected bytes after the {need} bytes of array data");

        var data = file.Slice(headerStart + headerLen, (int)need).ToArray();
        if (bigEndian != !BitConverter.IsLittleEndian && size > 1) SwapBytes(data, size);
        if (type == torch.ScalarType.Bool)
            foreach (byte b in data)
                if (b > 1) throw Bad(sourceName, $"bool array holds byte value {b} (only 0 and 1 are valid)");

        var t = torch.empty(shape, type);
        if (need > 0) t.bytes = data;
        if (device is null || device.type == DeviceType.CPU) return t;
        var moved = t.to(device);
        t.Dispose();
        return moved;
    }

    /// <summary>Writes <paramref name="tensor"/> (moved to CPU, C order) to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, torch.Tensor tensor)
    {
        byte[] bytes = ToBytes(tensor);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>The <c>.npy</c> bytes of <paramref name="tensor"/>.</summary>
    public static byte[] ToBytes(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        TorchRuntime.EnsureLoaded();
        string descr = tensor.dtype switch
        {
            torch.ScalarType.Float32 => "<f4",
            torch.ScalarType.Float64 => "<f8",
            torch.ScalarType.Float16 => "<f2",
            torch.ScalarType.Int64 => "<i8",
            torch.ScalarType.Int32 => "<i4",
            torch.ScalarType.Int16 => "<i2",
            torch.ScalarType.Int8 => "|i1",
            torch.ScalarType.Byte => "|u1",
            torch.ScalarType.Bool => "|b1",
            _ => throw new NotSupportedException($"cannot write a {tensor.dtype} tensor as .npy; convert it to float32/float64/int64 first"),
        };
        using var cpu = tensor.detach().cpu().contiguous();
        byte[] data = cpu.bytes.ToArray();
        if (!BitConverter.IsLittleEndian) SwapBytes(data, (int)cpu.element_size());
        string shape = cpu.shape.Length switch
        {
            0 => "()",
            1 => $"({cpu.shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + string.Join(", ", cpu.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int major = 1, prefix = 10;
        if (dict.Length + 1 + prefix > ushort.MaxValue) { major = 2; prefix = 12; }
        int total = prefix + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        using var ms = new MemoryStream();
        ms.Write(Magic);
        ms.WriteByte((byte)major);
        ms.WriteByte(0);
        Span<byte> len = stackalloc byte[4];
        if (major == 1) { BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length); ms.Write(len[..2]); }
        else { BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length); ms.Write(len); }
        ms.Write(Encoding.Latin1.GetBytes(header));
        ms.Write(data);
        return ms.ToArray();
    }

    private static (torch.ScalarType Type, int Size, bool BigEndian) ParseDescr(string descr, string source)
    {
        if (descr.Length < 2) throw Bad(source, $"invalid dtype '{descr}'");
        char order = descr[0];
        string code = descr[1..];
        if (order is not ('<' or '>' or '|' or '='))
        {
            order = '=';
            code = descr;
        }
        bool big = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
        (torch.ScalarType, int)? r = code switch
        {
            "f2" => (torch.ScalarType.Float16, 2),
            "f4" => (torch.ScalarType.Float32, 4),
            "f8" => (torch.ScalarType.Float64, 8),
            "i1" => (torch.ScalarType.Int8, 1),
            "i2" => (torch.ScalarType.Int16, 2),
            "i4" => (torch.ScalarType.Int32, 4),
            "i8" => (torch.ScalarType.Int64, 8),
            "u1" => (torch.ScalarType.Byte, 1),
            "b1" => (torch.ScalarType.Bool, 1),
            _ => null,
        };
        if (r is null) throw Bad(source, $"unsupported dtype '{descr}' (supported: f2 f4 f8 i1 i2 i4 i8 u1 b1, either byte order)");
        return (r.Value.Item1, r.Value.Item2, big);
    }

    private static void SwapBytes(byte[] data, int size)
    {
        for (int i = 0; i + size <= data.Length; i += size) Array.Reverse(data, i, size);
    }

    /// <summary>Parses the header's Python dict literal: <c>{'descr': …, 'fortran_order': …, 'shape': (…)}</c>.</summary>
    private static (string Descr, bool Fortran, long[] Shape) ParseHeader(string header, string source)
    {
        var p = new HeaderParser(header.TrimEnd('\n', ' ', '\0'), source);
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        p.Expect('{');
        while (true)
        {
            p.SkipSpace();
            if (p.TryConsume('}')) break;
            string key = p.ReadString();
            p.Expect(':');
            switch (key)
            {
                case "descr":
                    p.SkipSpace();
                    if (p.Peek() is '[' or '(') throw Bad(source, "structured (record) dtypes are not supported");
                    descr = p.ReadString();
                    break;
                case "fortran_order": fortran = p.ReadBool(); break;
                case "shape": shape = p.ReadShape(); break;
                default: throw Bad(source, $"unexpected header key '{key}'");
            }
            p.SkipSpace();
            if (p.TryConsume(',')) continue;
            p.Expect('}');
            break;
        }
        if (descr is null || fortran is null || shape is null)
            throw Bad(source, $"header lacks {(descr is null ? "'descr'" : fortran is null ? "'fortran_order'" : "'shape'")}: {header.Trim()}");
        return (descr, fortran.Value, shape);
    }

    private sealed class HeaderParser
    {
        private readonly string _s;
        private readonly string _source;
        private int _i;

        public HeaderParser(string s, string source) { _s = s; _source = source; }

        public void SkipSpace() { while (_i < _s.Length && char.IsWhiteSpace(_s[_i])) _i++; }
        public char Peek() => _i < _s.Length ? _s[_i] : '\0';

        public bool TryConsume(char c)
        {
            SkipSpace();
            if (Peek() != c) return false;
            _i++;
            return true;
        }

        public void Expect(char c)
        {
            if (!TryConsume(c)) throw Bad(_source, $"malformed header: expected '{c}' at position {_i} in \"{_s}\"");
        }

        public string ReadString()
        {
            SkipSpace();
            char q = Peek();
            if (q is not ('\'' or '"')) throw Bad(_source, $"malformed header: expected a quoted string at position {_i} in \"{_s}\"");
            int end = _s.IndexOf(q, _i + 1);
            if (end < 0) throw Bad(_source, "malformed header: unterminated string");
            string v = _s[(_i + 1)..end];
            _i = end + 1;
            return v;
        }

        public bool ReadBool()
        {
            SkipSpace();
            if (_s.AsSpan(_i).StartsWith("True")) { _i += 4; return true; }
            if (_s.AsSpan(_i).StartsWith("False")) { _i += 5; return false; }
            throw Bad(_source, $"malformed header: expected True or False at position {_i}");
        }

        public long[] ReadShape()
        {
            Expect('(');
            var dims = new List<long>();
            while (true)
            {
                SkipSpace();
                if (TryConsume(')')) break;
                int start = _i;
                while (_i < _s.Length && (char.IsDigit(_s[_i]) || _s[_i] == '-')) _i++;
                string token = _s[start.._i].Trim();
                if (token.EndsWith('L')) token = token[..^1];
                while (_i < _s.Length && _s[_i] == 'L') _i++;
                if (!long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long d))
                    throw Bad(_source, $"malformed header: invalid shape dimension '{token}'");
                dims.Add(d);
                SkipSpace();
                if (TryConsume(',')) continue;
                Expect(')');
                break;
            }
            return dims.ToArray();
        }
    }

    private static InvalidDataException Bad(string source, string what) => new($"{source}: malformed .npy file: {what}");
}
