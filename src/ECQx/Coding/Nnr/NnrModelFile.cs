using ECQx.IO;

namespace ECQx.Coding.Nnr;

/// <summary>
/// NNR bitstreams (MPEG Neural Network Coding, ISO/IEC 15938-17) of an <see cref="EcqxModel"/>, beside the
/// <c>.ecqx</c> file (<see cref="EcqxModelFile"/>): written so that NNCodec's decoder (<c>nnc.decompress</c>) reads the
/// same integer levels, names and shapes, and read from NNCodec's encoder (<c>nnc.compress</c> of integer tensors with
/// <c>use_dq=False</c>). See <c>docs/nnr-bitstreams.md</c> for the mapping.
/// </summary>
public static class NnrModelFile
{
    /// <summary>The file extension used for NNR bitstreams.</summary>
    public const string Extension = ".nnr";

    /// <summary>Largest bitstream read (the .NET array limit).</summary>
    public const long MaxFileBytes = int.MaxValue - 64;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ArgumentException">A tensor NNR cannot carry losslessly (named in the message).</exception>
    public static void Write(string path, EcqxModel model, NnrWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        byte[] bytes = Serialize(model, options, cancellationToken);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>The NNR bitstream of <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">A tensor NNR cannot carry losslessly: a float64 value that is not a float32 value,
    /// an integer beyond ±(2^31 − 1), a name with a NUL character.</exception>
    public static byte[] Serialize(EcqxModel model, NnrWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return NnrModelWriter.Write(model, options ?? NnrWriteOptions.Default, cancellationToken);
    }

    /// <summary>Reads the model of the bitstream at <paramref name="path"/>.</summary>
    public static EcqxModel Read(string path) => ReadDetailed(path).Model;

    /// <summary>Reads the bitstream at <paramref name="path"/> with its per-unit facts.</summary>
    /// <exception cref="InvalidDataException">The bitstream is malformed or uses NNR features this reader does not support (named with the unit and field).</exception>
    public static NnrFileContents ReadDetailed(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"no such file: {path}", path);
        if (info.Length > MaxFileBytes) throw new InvalidDataException($"{path}: {info.Length} bytes is larger than the {MaxFileBytes} bytes an NNR bitstream may have here");
        return Parse(File.ReadAllBytes(path), info.Name);
    }

    /// <summary>Decodes a bitstream held in memory; <paramref name="sourceName"/> names it in error messages.</summary>
    public static NnrFileContents Parse(byte[] bitstream, string sourceName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bitstream);
        return NnrModelReader.Read(bitstream, sourceName, cancellationToken);
    }

    /// <summary>
    /// Whether <paramref name="head"/> (the first bytes of a file) starts like an NNR bitstream: a short
    /// <c>nnr_unit_size</c> of at least 4 then <c>nnr_unit_type</c> = <c>NNR_STR</c>.
    /// </summary>
    public static bool LooksLikeNnr(ReadOnlySpan<byte> head) =>
        head.Length >= 3 && (head[0] & 0x80) == 0 && ((head[0] << 8) | head[1]) >= 4 && head[2] >> 2 == (int)NnrUnitType.Start;
}

/// <summary>The two coded model formats: this package's <c>.ecqx</c> and NNR bitstreams.</summary>
public enum CodedModelFormat
{
    /// <summary>The <c>.ecqx</c> file (<see cref="EcqxModelFile"/>).</summary>
    Ecqx,
    /// <summary>An NNR bitstream (<see cref="NnrModelFile"/>).</summary>
    Nnr,
}

/// <summary>Reads a coded model in either format, telling them apart by content.</summary>
public static class CodedModelFiles
{
    /// <summary>The format of the file at <paramref name="path"/>: <see cref="CodedModelFormat.Ecqx"/> when it starts with the .ecqx magic, <see cref="CodedModelFormat.Nnr"/> when it starts like an NNR bitstream.</summary>
    /// <exception cref="InvalidDataException">Neither.</exception>
    public static CodedModelFormat Detect(string path)
    {
        Span<byte> head = stackalloc byte[8];
        int n;
        using (var stream = File.OpenRead(path)) n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n >= 8 && head.SequenceEqual(EcqxModelFile.Magic)) return CodedModelFormat.Ecqx;
        if (NnrModelFile.LooksLikeNnr(head[..n])) return CodedModelFormat.Nnr;
        throw new InvalidDataException($"{Path.GetFileName(path)}: neither an .ecqx file (magic 89 45 43 51 58 0D 0A 1A) nor an NNR bitstream (first unit NNR_STR)");
    }

    /// <summary>The model of an .ecqx file or an NNR bitstream.</summary>
    public static EcqxModel Read(string path) => Detect(path) == CodedModelFormat.Ecqx ? EcqxModelFile.Read(path) : NnrModelFile.Read(path);
}
