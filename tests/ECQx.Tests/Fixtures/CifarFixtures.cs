namespace ECQx.Tests.Fixtures;

/// <summary>Writes tiny CIFAR-10 binary datasets in the exact official format.</summary>
public static class CifarFixtures
{
    /// <summary>Record size: 1 label byte + 3072 pixel bytes.</summary>
    public const int RecordBytes = 3073;

    /// <summary>Pixel value of (example, channel, row, col) in the synthetic set: encodes all four so that a
    /// channel-major / row-major mix-up shows.</summary>
    public static byte Pixel(int example, int channel, int row, int col) =>
        (byte)((example * 13 + channel * 85 + row * 5 + col * 3) % 256);

    /// <summary>Label of the synthetic example with global index <paramref name="example"/>.</summary>
    public static byte Label(int example) => (byte)((example * 7 + 3) % 10);

    /// <summary>The record of one synthetic example: label byte, then R, G, B planes, each row-major 32×32.</summary>
    public static byte[] Record(int example)
    {
        var r = new byte[RecordBytes];
        r[0] = Label(example);
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
            r[1 + c * 1024 + y * 32 + x] = Pixel(example, c, y, x);
        return r;
    }

    /// <summary>
    /// Writes <c>cifar-10-batches-bin/</c> under <paramref name="root"/> with five training files of
    /// <paramref name="perTrainFile"/> records (global indices 0…5n−1 in order) and a test file of
    /// <paramref name="testCount"/> records (global indices starting at 1000). Returns the batch directory.
    /// </summary>
    public static string MakeDataset(string root, int perTrainFile = 4, int testCount = 6)
    {
        string dir = Path.Combine(root, "cifar-10-batches-bin");
        Directory.CreateDirectory(dir);
        for (int f = 0; f < 5; f++)
            File.WriteAllBytes(Path.Combine(dir, $"data_batch_{f + 1}.bin"),
                Enumerable.Range(f * perTrainFile, perTrainFile).SelectMany(Record).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), Enumerable.Range(1000, testCount).SelectMany(Record).ToArray());
        File.WriteAllText(Path.Combine(dir, "batches.meta.txt"), string.Join("\n", "airplane automobile bird cat deer dog frog horse ship truck".Split(' ')) + "\n");
        return dir;
    }

    /// <summary>The bytes of a cifar-10-binary.tar.gz-shaped archive of <see cref="MakeDataset"/>'s output.</summary>
    public static byte[] MakeArchive(int perTrainFile = 4, int testCount = 6)
    {
        string tmp = TestPaths.NewTempDir();
        try
        {
            MakeDataset(tmp, perTrainFile, testCount);
            return TarGzFixtures.PackDirectory(tmp);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }
}
