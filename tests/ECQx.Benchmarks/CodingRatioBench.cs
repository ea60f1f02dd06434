using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using ECQx.Coding;
using ECQx.Coding.Nnr;

namespace ECQx.Benchmarks;

/// <summary>
/// Ratio bench <c>coder</c>: encode/decode throughput of the level coder on a 2.36M-weight 4-bit tensor of
/// ~70 % sparsity, and its coded size against the zeroth-order entropy bound and general-purpose compressors; beside
/// each, the same levels as an NNR payload (<see cref="NnrLevelEncoder"/>, NNCodec-compatible).
/// Run: <c>dotnet run -c Release --project tests/ECQx.Benchmarks -- ratios coder</c>.
/// </summary>
internal static class CodingRatioBench
{
    [ModuleInitializer]
    internal static void Init() => RatioBenches.Register("coder", Run);

    private static void Run()
    {
        Console.WriteLine("Times: median wall ms of 9 runs (after a warm-up), and CPU ms per run (process CPU time / runs),");
        Console.WriteLine("which is robust to other processes sharing the 2 cores. Throughput uses the CPU time.");
        Console.WriteLine($"{"levels",-26}{"options",-10}{"sparsity",9}{"H b/w",8}{"bound B",10}{"coded B",10}{"coded/H",9}{"enc ms",8}{"enc cpu",8}{"enc M/s",9}{"dec ms",8}{"dec cpu",8}{"dec M/s",9}");
        foreach (bool structured in new[] { false, true })
        {
            int[] levels = CodingSamples.FourBitLaplacian(structured);
            string name = structured ? "4-bit, per-filter scales" : "4-bit, i.i.d. Laplacian";
            double entropy = LevelStatistics.Entropy(levels);
            double bound = levels.Length * entropy / 8;
            foreach (var (label, options) in new[] { ("trial", CoderOptions.Default), ("no-trial", CoderOptions.Default with { OptimizeContextParameters = false }) })
            {
                byte[] stream = LevelCoder.Encode(levels, options);
                var decoded = new int[levels.Length];
                var (encodeMs, encodeCpu) = Time(() => LevelCoder.Encode(levels, options));
                var (decodeMs, decodeCpu) = Time(() => LevelCoder.Decode(stream, decoded));
                if (!decoded.AsSpan().SequenceEqual(levels)) throw new InvalidOperationException("round trip failed");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-26}{label,-10}{LevelStatistics.Sparsity(levels),9:P1}{entropy,8:F4}{bound,10:N0}{stream.Length,10:N0}{stream.Length / bound,9:F4}" +
                    $"{encodeMs,8:F1}{encodeCpu,8:F1}{levels.Length / encodeCpu / 1000,9:F1}{decodeMs,8:F1}{decodeCpu,8:F1}{levels.Length / decodeCpu / 1000,9:F1}"));

                // The same levels as an NNR (DeepCABAC, NNCodec-compatible) payload, cabac_unary_length_minus1 = 10.
                bool optimize = options.OptimizeContextParameters;
                byte[] nnr = NnrEncode(levels, optimize);
                var (nnrEncodeMs, nnrEncodeCpu) = Time(() => NnrEncode(levels, optimize));
                var (nnrDecodeMs, nnrDecodeCpu) = Time(() => NnrDecode(nnr, decoded));
                if (!decoded.AsSpan().SequenceEqual(levels)) throw new InvalidOperationException("NNR round trip failed");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{"  as NNR payload",-26}{label,-10}{"",9}{"",8}{"",10}{nnr.Length,10:N0}{nnr.Length / bound,9:F4}" +
                    $"{nnrEncodeMs,8:F1}{nnrEncodeCpu,8:F1}{levels.Length / nnrEncodeCpu / 1000,9:F1}{nnrDecodeMs,8:F1}{nnrDecodeCpu,8:F1}{levels.Length / nnrDecodeCpu / 1000,9:F1}"));
            }
            var shape = LevelStreamShape.For(LevelBinarizer.MaxMagnitude(levels), CoderOptions.Default.GreaterThanFlags);
            var trial = levels.AsMemory(0, CoderOptions.Default.TrialLevels);
            var (_, scalarCpu) = Time(() => ContextParameterSearch.Costs(trial.Span, shape, vectorized: false));
            var (_, simdCpu) = Time(() => ContextParameterSearch.Costs(trial.Span, shape, vectorized: true));
            byte[] packed = BaselineCompressors.Pack(levels);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",-26}trial pass on {trial.Length:N0} levels: scalar {scalarCpu:F1} ms, SIMD {simdCpu:F1} ms (CPU)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",-26}baselines on int8 levels: zstd-19 {BaselineCompressors.Zstandard(packed):N0} B, brotli-11 {BaselineCompressors.Brotli(packed):N0} B, deflate {BaselineCompressors.Deflate(packed):N0} B"));
        }
        CodingResNet20Proxy.Run();
    }

    private static byte[] NnrEncode(int[] levels, bool optimize)
    {
        var encoder = new NnrArithmeticEncoder(levels.Length / 4);
        NnrLevelEncoder.Encode(encoder, levels, NnrWriteOptions.Default.UnaryLengthMinus1, optimize);
        return encoder.Finish();
    }

    private static void NnrDecode(byte[] stream, int[] destination)
    {
        var decoder = new NnrArithmeticDecoder(stream, 0, stream.Length);
        NnrLevelDecoder.Decode(decoder, destination, NnrWriteOptions.Default.UnaryLengthMinus1);
        if (!decoder.DecodeTerminate()) throw new InvalidOperationException("NNR stream not terminated");
    }

    /// <summary>Median wall ms and mean CPU ms of 9 runs after one warm-up run.</summary>
    private static (double WallMs, double CpuMs) Time(Action action)
    {
        const int runs = 9;
        action();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        double wall = RatioBenches.MedianMs(action, runs);
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / (runs + 1);
        return (wall, cpu);
    }
}
