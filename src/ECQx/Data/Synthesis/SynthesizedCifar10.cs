using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ECQx.Data.Cifar;
using ECQx.Data.StandIn;
using ECQx.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Synthesis;

/// <summary>Options of <see cref="SynthesizedCifar10.Write"/>.</summary>
public sealed record SynthesizedCifar10Options
{
    /// <summary>Test images (the bundled set has 1,024).</summary>
    public int TestCount { get; init; } = 1024;

    /// <summary>Training images, split over the five training files (the bundled set has 512).</summary>
    public int TrainCount { get; init; } = 512;

    /// <summary>Seed of every random draw (initial noise, jitter, flips).</summary>
    public ulong Seed { get; init; } = 808;

    /// <summary>The optimisation of each batch.</summary>
    public InversionOptions Inversion { get; init; } = new();

    /// <summary>Device of the optimisation (CPU when null).</summary>
    public Device? Device { get; init; }

    /// <summary>
    /// Batches optimised at the same time, each by its own copy of the model on its own thread (1 = one after another). On a
    /// CPU, two workers with one torch thread each use two cores better than one batch with two threads. The result does not
    /// depend on it: every batch has its own seed.
    /// </summary>
    public int Workers { get; init; } = 1;
}

/// <summary>Progress of <see cref="SynthesizedCifar10.Write"/>: the batch being optimised and its step.</summary>
/// <param name="Batch">0-based batch index.</param>
/// <param name="Batches">Batches in total.</param>
/// <param name="Step">Progress within the batch.</param>
/// <param name="Reused">True when the batch was found finished in the staging folder of an interrupted run.</param>
public sealed record SynthesisProgress(int Batch, int Batches, InversionProgress? Step, bool Reused = false)
{
    /// <inheritdoc />
    public override string ToString() => $"batch {Batch + 1}/{Batches}: " + (Reused ? "reused from an interrupted run" : Step?.ToString() ?? "starting");
}

/// <summary>
/// A CIFAR-10-shaped data set synthesized from a pretrained CIFAR-10 network by <see cref="BatchNormInversion"/>, written in
/// the CIFAR-10 binary format (<c>cifar-10-batches-bin/</c>, read by <see cref="Cifar10.Load"/>) with a marker file
/// (<see cref="StandInData.MarkerFileName"/>) that names the model, its SHA-256, the method, the seed and the counts. The target
/// classes cycle through the ten classes; each image's <b>label is the network's top-1 prediction on the finished 8-bit
/// image</b>, so the network's accuracy on the set is 100 % by construction and the accuracy of any other (e.g. quantized) model
/// is its top-1 agreement with the full-precision network. Batches are written to a staging folder as they finish, so an
/// interrupted run resumes; the batch folder and the marker are put in place only when everything is done.
/// </summary>
public static class SynthesizedCifar10
{
    /// <summary>First line of the marker of a synthesized set (distinguishes it from the <see cref="Cifar10StandIn"/>).</summary>
    public const string MarkerHeadline = "SYNTHESIZED CIFAR-10 stand-in written by ECQx.Data.Synthesis: not the real dataset.";

    private const ulong SynthesisStream = 0x53594E5448UL;

    /// <summary>
    /// Synthesizes the set from the ResNet20 weights in <paramref name="weightsPath"/> (safetensors) under
    /// <paramref name="root"/> and returns the batch directory. A finished set with the same description is left as it is.
    /// </summary>
    public static string Write(string root, string weightsPath, SynthesizedCifar10Options? options = null,
        IProgress<SynthesisProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        options ??= new SynthesizedCifar10Options();
        options.Inversion.Validate();
        if (options.TestCount < 1 || options.TrainCount < Cifar10Binary.TrainFiles.Count)
            throw new ArgumentOutOfRangeException(nameof(options), $"need at least 1 test and {Cifar10Binary.TrainFiles.Count} training images (TestCount {options.TestCount}, TrainCount {options.TrainCount})");
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"model weights not found: {weightsPath}", weightsPath);
        root = Path.GetFullPath(root);
        string weightsHash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(weightsPath)));
        string description = Describe(weightsPath, weightsHash, options);
        string marker = Path.Combine(root, StandInData.MarkerFileName);
        string batchDir = Path.Combine(root, Cifar10Binary.ArchiveDirectory);
        if (File.Exists(marker) && File.ReadAllText(marker).Contains(description, StringComparison.Ordinal) && Directory.Exists(batchDir)) return batchDir;

        TorchRuntime.EnsureLoaded();
        if (options.Workers < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Workers, "Workers must be at least 1");
        var device = options.Device ?? CPU;
        int total = options.TestCount + options.TrainCount;
        int batches = (total + options.Inversion.BatchSize - 1) / options.Inversion.BatchSize;
        string staging = Path.Combine(root, ".synthesis-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(description)))[..16]);
        Directory.CreateDirectory(staging);
        var records = new byte[batches][];
        int next = -1;
        void Work()
        {
            nn.Module<Tensor, Tensor>? model = null;
            try
            {
                for (int b = Interlocked.Increment(ref next); b < batches; b = Interlocked.Increment(ref next))
                {
                    int first = (int)((long)total * b / batches), end = (int)((long)total * (b + 1) / batches);
                    string batchFile = Path.Combine(staging, $"batch-{b:D4}.bin");
                    if (File.Exists(batchFile) && new FileInfo(batchFile).Length == (long)(end - first) * Cifar10Binary.RecordBytes)
                    {
                        progress?.Report(new SynthesisProgress(b, batches, null, Reused: true));
                        records[b] = File.ReadAllBytes(batchFile);
                        continue;
                    }
                    if (model is null)
                    {
                        model = ModelZoo.Create("resnet20", 10, device, 0);
                        StateDictLoader.LoadSafeTensors(model, weightsPath);
                        model.to(device);
                        model.eval();
                    }
                    int batch = b;
                    progress?.Report(new SynthesisProgress(b, batches, null));
                    var stepProgress = progress is null ? null : new InlineProgress<InversionProgress>(p => progress.Report(new SynthesisProgress(batch, batches, p)));
                    byte[] bytes = SynthesizeRecords(model, first, end, options, EpochSeeds.Derive(options.Seed, b, SynthesisStream), stepProgress, cancellation);
                    IO.AtomicFile.WriteAllBytes(batchFile, bytes);
                    records[b] = bytes;
                }
            }
            finally { model?.Dispose(); }
        }
        if (options.Workers == 1) Work();
        else
        {
            var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            var threads = Enumerable.Range(0, Math.Min(options.Workers, batches)).Select(_ => new Thread(() =>
            {
                try { Work(); }
                catch (Exception e) { failures.Enqueue(e); Interlocked.Exchange(ref next, batches); }   // the others stop after their batch
            })).ToList();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            if (failures.TryDequeue(out var failure)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
        cancellation.ThrowIfCancellationRequested();
        if (records.Any(r => r is null)) throw new InvalidOperationException("a synthesis worker stopped before its batches were done");
        byte[] all = records.SelectMany(r => r!).ToArray();
        var (onTarget, perClass) = Summarize(all, total);
        Publish(root, all, options, description + "\n" + Summary(onTarget, perClass, total));
        Directory.Delete(staging, recursive: true);
        return batchDir;
    }

    /// <summary>True when <paramref name="directory"/> (or its parent, for the batch folder) holds a set written by <see cref="Write"/>.</summary>
    public static bool IsSynthesized(string directory) => MarkerText(directory)?.StartsWith(MarkerHeadline, StringComparison.Ordinal) == true;

    /// <summary>The marker text of a synthesized or stand-in set at <paramref name="directory"/> or its parent, or null.</summary>
    public static string? MarkerText(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var dir = new DirectoryInfo(Path.GetFullPath(directory));
        foreach (var candidate in new[] { dir, dir.Parent })
        {
            if (candidate is null) continue;
            string marker = Path.Combine(candidate.FullName, StandInData.MarkerFileName);
            if (File.Exists(marker)) return File.ReadAllText(marker);
        }
        return null;
    }

    private static byte[] SynthesizeRecords(nn.Module<Tensor, Tensor> model, int first, int end, SynthesizedCifar10Options options, ulong seed,
        IProgress<InversionProgress>? progress, CancellationToken cancellation)
    {
        using var scope = NewDisposeScope();
        long n = end - first;
        var targets = arange(first, end, dtype: int64).remainder(10);
        var pixels = BatchNormInversion.Synthesize(model, targets, new long[] { 3, 32, 32 }, ImageNormalization.Cifar10, options.Inversion, seed, progress, cancellation);
        var bytes = pixels.mul(255).round().clamp(0, 255).to_type(uint8).cpu();
        var labels = BatchNormInversion.Predict(model, bytes, ImageNormalization.Cifar10);
        var rows = cat(new[] { labels.to_type(uint8).view(n, 1), bytes.reshape(n, 3 * 32 * 32) }, 1).contiguous();
        return rows.data<byte>().ToArray();
    }

    /// <summary>How many records' label equals the target the record was synthesized for, and the label counts per class.</summary>
    private static (int OnTarget, long[] PerClass) Summarize(byte[] all, int total)
    {
        using var scope = NewDisposeScope();
        var labels = tensor(all, dtype: ScalarType.Byte).reshape(total, Cifar10Binary.RecordBytes)[.., 0].to_type(int64);
        var targets = arange(0, total, dtype: int64).remainder(10);
        return ((int)labels.eq(targets).sum().item<long>(), labels.bincount(null, 10).data<long>().ToArray());
    }

    private static string Summary(int onTarget, long[] perClass, int total) => string.Create(CultureInfo.InvariantCulture,
        $"labels: the model's top-1 prediction on each finished 8-bit image ({onTarget} of {total} equal the target class); per class {string.Join(", ", perClass)}");

    private static string Describe(string weightsPath, string weightsHash, SynthesizedCifar10Options options) => string.Create(CultureInfo.InvariantCulture,
        $"model: resnet20 weights {Path.GetFileName(weightsPath)} (sha256 {weightsHash})\n" +
        $"method: BatchNorm-statistics inversion (DeepInversion / ZeroQ): {options.Inversion.Describe()}\n" +
        $"seed: {options.Seed}; images: {options.TrainCount} train / {options.TestCount} test; target classes cycle 0–9; order: test images first, then train");

    /// <summary>Writes the batch files into a fresh folder next to the destination, swaps it in, and writes the marker last.</summary>
    private static void Publish(string root, byte[] all, SynthesizedCifar10Options options, string markerBody)
    {
        string marker = Path.Combine(root, StandInData.MarkerFileName);
        string batchDir = Path.Combine(root, Cifar10Binary.ArchiveDirectory);
        string fresh = Path.Combine(root, $".{Cifar10Binary.ArchiveDirectory}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(fresh);
        int rb = Cifar10Binary.RecordBytes;
        File.WriteAllBytes(Path.Combine(fresh, Cifar10Binary.TestFile), all.AsSpan(0, options.TestCount * rb).ToArray());
        int files = Cifar10Binary.TrainFiles.Count;
        for (int f = 0; f < files; f++)
        {
            int from = (int)((long)options.TrainCount * f / files), to = (int)((long)options.TrainCount * (f + 1) / files);
            File.WriteAllBytes(Path.Combine(fresh, Cifar10Binary.TrainFiles[f]), all.AsSpan((options.TestCount + from) * rb, (to - from) * rb).ToArray());
        }
        File.WriteAllText(Path.Combine(fresh, "batches.meta.txt"), string.Join("\n", Cifar10Binary.ClassNames) + "\n");
        File.Delete(marker);                                    // from here until the marker is back, the set is incomplete
        if (Directory.Exists(batchDir)) Directory.Delete(batchDir, recursive: true);
        Directory.Move(fresh, batchDir);
        IO.AtomicFile.WriteAllText(marker, MarkerHeadline + " Images synthesized from a pretrained network by matching its batch-norm statistics; " +
            "accuracy on it is top-1 agreement with that full-precision network.\n" + markerBody + "\n");
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (no synchronization context hop).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
