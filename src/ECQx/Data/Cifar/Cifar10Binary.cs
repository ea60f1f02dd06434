using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Cifar;

/// <summary>
/// Reader for the CIFAR-10 "binary version" (https://www.cs.toronto.edu/~kriz/cifar.html): each batch file is a
/// sequence of 3073-byte records, one label byte (0–9) followed by 3072 pixel bytes, channel-major
/// (1024 red, 1024 green, 1024 blue), each channel row-major 32×32. Training files are
/// <c>data_batch_1.bin</c> … <c>data_batch_5.bin</c> (10,000 records each), the test file <c>test_batch.bin</c>.
/// </summary>
public static class Cifar10Binary
{
    /// <summary>Bytes per record: 1 label + 3·32·32 pixels.</summary>
    public const int RecordBytes = 1 + 3 * 32 * 32;

    /// <summary>Records in each official batch file.</summary>
    public const int RecordsPerOfficialFile = 10_000;

    /// <summary>The training batch file names, in order.</summary>
    public static IReadOnlyList<string> TrainFiles { get; } =
        new[] { "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin" };

    /// <summary>The test batch file name.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>Subdirectory the official archive extracts to.</summary>
    public const string ArchiveDirectory = "cifar-10-batches-bin";

    /// <summary>The ten class names in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        new[] { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };

    /// <summary>
    /// Finds the directory holding the batch files: <paramref name="path"/> itself, or its
    /// <c>cifar-10-batches-bin</c> subdirectory. Throws a <see cref="DirectoryNotFoundException"/> that lists
    /// what is missing.
    /// </summary>
    public static string ResolveBatchDirectory(string path)
    {
        foreach (var candidate in new[] { path, Path.Combine(path, ArchiveDirectory) })
        {
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, TestFile))
                && TrainFiles.All(f => File.Exists(Path.Combine(candidate, f))))
                return candidate;
        }
        var missing = TrainFiles.Append(TestFile).Where(f => !File.Exists(Path.Combine(path, f)) && !File.Exists(Path.Combine(path, ArchiveDirectory, f)));
        throw new DirectoryNotFoundException(
            $"CIFAR-10 binary batches not found in '{path}' or '{Path.Combine(path, ArchiveDirectory)}'; missing: {string.Join(", ", missing)}. " +
            "Expected the extracted cifar-10-binary.tar.gz (data_batch_1.bin … data_batch_5.bin, test_batch.bin).");
    }

    /// <summary>
    /// Reads one or more batch files into uint8 images <c>[N, 3, 32, 32]</c> and int64 labels <c>[N]</c> (CPU).
    /// At most <paramref name="limit"/> records are read in total (all when null). A file whose size is not a
    /// multiple of 3073 bytes, or with a label byte above 9, is reported by name.
    /// </summary>
    public static (Tensor images, Tensor labels) ReadFiles(IEnumerable<string> files, int? limit = null)
    {
        TorchRuntime.EnsureLoaded();
        if (limit is < 0) throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be non-negative");
        var chunks = new List<byte[]>();
        long total = 0;
        foreach (string file in files)
        {
            if (limit is { } l && total >= l) break;
            if (!File.Exists(file)) throw new FileNotFoundException($"CIFAR-10 batch file not found: {file}", file);
            long size = new FileInfo(file).Length;
            if (size == 0 || size % RecordBytes != 0)
                throw new InvalidDataException(
                    $"{file}: CIFAR-10 binary batch size {size} bytes is not a positive multiple of the {RecordBytes}-byte record (truncated or not a CIFAR-10 binary file).");
            long records = size / RecordBytes;
            if (limit is { } lim) records = Math.Min(records, lim - total);
            var bytes = new byte[records * RecordBytes];
            using (var fs = File.OpenRead(file)) fs.ReadExactly(bytes);
            for (long r = 0; r < records; r++)
            {
                byte label = bytes[r * RecordBytes];
                if (label > 9)
                    throw new InvalidDataException($"{file}: record {r} has label byte {label}; CIFAR-10 labels are 0–9 (is this the CIFAR-100 binary format?).");
            }
            chunks.Add(bytes);
            total += records;
        }
        using var scope = NewDisposeScope();
        var all = new byte[total * RecordBytes];
        long at = 0;
        foreach (var c in chunks) { Buffer.BlockCopy(c, 0, all, (int)at, c.Length); at += c.Length; }
        var records2d = tensor(all, dtype: ScalarType.Byte).reshape(total, RecordBytes);
        var labels = records2d[.., 0].to(int64).contiguous();
        var images = records2d[.., 1..].reshape(total, 3, 32, 32).contiguous();
        return (images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }
}
