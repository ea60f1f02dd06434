using System.Globalization;
using ECQx.Coding;
using ECQx.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Benchmarks;

/// <summary>
/// Real-weight proxy for the size report: the pretrained CIFAR-10 ResNet20 on the spec §a.3 4-bit codebook
/// (Δ = p99.9(|W|)/7, levels −8..7) with nearest assignment, then magnitude-pruned at growing thresholds as a
/// stand-in for ECQ's sparsity (the real numbers need the quantizer's trained output).
/// </summary>
internal static class CodingResNet20Proxy
{
    internal static void Run()
    {
        string? path = BundledFiles.Find(BundledFiles.PretrainedResNet20);
        if (path is null)
        {
            Console.WriteLine("(pretrained ResNet20 not found; skipping the real-weight proxy)");
            return;
        }
        TorchRuntime.EnsureLoaded();
        Console.WriteLine();
        Console.WriteLine("ResNet20 (CIFAR-10, pretrained) on a 4-bit grid, nearest levels, pruned |w| < t·Δ:");
        Console.WriteLine($"{"t",5}{"sparsity",10}{"H b/w",8}{"bound B",10}{"levels B",10}{"coded/H",9}{"zstd B",9}{"file B",9}{"× FP32",8}{"file f16",10}{"× f16",8}");
        using var document = SafeTensors.Load(path);
        foreach (double threshold in new[] { 0.5, 1.5, 2.5, 3.5 })
        {
            using var scope = NewDisposeScope();
            var metadata = new Dictionary<string, string>();
            var tensors = new List<KeyValuePair<string, Tensor>>();
            foreach (var (name, w) in document.Tensors)
            {
                if (w.dim() < 2)
                {
                    tensors.Add(new(name, w));
                    continue;
                }
                float step = (float)(w.abs().flatten().to(float64).quantile(0.999).item<double>() / 7);
                var k = (w / step).round().clamp(-8, 7);
                k = k.where((w / step).abs().ge(threshold), zeros_like(k));
                tensors.Add(new(name, k * step));
                ECQx.Quantization.QuantizedStateDict.SetGrid(metadata, name, step, 4);
            }
            var model = StateDictAdapter.FromStateDict(tensors, metadata);
            var report = CompressionReport.Measure(model);
            var half = CompressionReport.Measure(model, new EcqxWriteOptions { StoreFloatsAsFloat16 = true }, baselines: false);
            double entropy = report.LevelEntropyBoundBytes * 8 / report.LevelElements;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{threshold,5:F1}{report.LevelSparsity,10:P1}{entropy,8:F3}{report.LevelEntropyBoundBytes,10:N0}{report.LevelBytes,10:N0}" +
                $"{report.LevelBytes / report.LevelEntropyBoundBytes,9:F3}{report.ZstdBytes,9:N0}{report.FileBytes,9:N0}{report.CompressionFactor,8:F1}" +
                $"{half.FileBytes,10:N0}{half.CompressionFactor,8:F1}"));
        }
    }
}
