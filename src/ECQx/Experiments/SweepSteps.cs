using System.Diagnostics;
using System.Globalization;
using ECQx.Coding;
using ECQx.Coding.Nnr;
using ECQx.IO;
using ECQx.Models;
using ECQx.Quantization;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>
/// The work of one sweep step in its folder: a model's full-precision baseline (pretrained weights or training), or one
/// quantization run (quantization-aware training, coding to <c>.ecqx</c>, accuracy of the decoded model). Each ends by
/// writing its <c>result.json</c> atomically and removing its trainer checkpoint.
/// </summary>
internal static class SweepSteps
{
    /// <summary>Computes the baseline of <paramref name="modelName"/> in <paramref name="bdir"/>; <paramref name="onEpoch"/> gets every training epoch's row.</summary>
    public static BaselineResult Baseline(OpenedSweep sweep, string modelName, string bdir, Action<string> log, Action<EpochMetrics> onEpoch, CancellationToken ct)
    {
        var (def, config, data, device, dir) = (sweep.Definition, sweep.Config, sweep.Data, sweep.Device, sweep.Directory);
        Directory.CreateDirectory(bdir);
        var sw = Stopwatch.StartNew();
        using var model = ModelZoo.Create(modelName, data.Classes, device, config.Seed);
        string? pretrained = def.PretrainedWeights(modelName);
        string source, weightsFile;
        if (pretrained is not null)
        {
            log($"{modelName} baseline: pretrained weights {pretrained}");
            StateDictLoader.LoadSafeTensors(model, pretrained);
            model.to(device);
            source = "pretrained: " + pretrained;
            weightsFile = pretrained;
        }
        else
        {
            log($"{modelName} baseline: training in full precision, {config.BaselineEpochs} epoch(s)");
            var options = TrainerOptions(config, device, bdir, config.BaselineEpochs, config.BaselineMaxBatchesPerEpoch);
            using var trainer = new QuantizationAwareTrainer(model, data.Splits, options);
            trainer.EpochCompleted += (_, m) =>
            {
                log($"{modelName} baseline: epoch {m.Epoch}: test accuracy {m.TestAccuracy:F2}%");
                onEpoch(m);
            };
            trainer.Run(ct);
            weightsFile = Path.Combine(bdir, "model.safetensors");
            SafeTensors.Save(weightsFile, model.state_dict());
            source = $"trained here, {config.BaselineEpochs} epoch(s){(config.BaselineMaxBatchesPerEpoch is int m ? $" of at most {m} batches" : "")}";
        }
        double acc = TestAccuracy(model, data, device);
        long parameters = model.parameters().Sum(p => p.numel());
        var baseline = new BaselineResult(modelName, source, acc, ModelEvaluation.Fp32Bytes(model), parameters,
            Relative(dir, weightsFile), sw.Elapsed.TotalSeconds);
        SweepSummaries.WriteJson(Path.Combine(bdir, ExperimentRunner.ResultFileName), baseline);
        File.Delete(Path.Combine(bdir, QuantizationAwareTrainer.CheckpointFileName));
        log($"{modelName} baseline: test accuracy {acc:F2}%");
        return baseline;
    }

    /// <summary>Runs the quantization <paramref name="run"/> in <paramref name="rdir"/> from <paramref name="baseline"/>'s weights.</summary>
    public static QuantizationRunResult Quantize(OpenedSweep sweep, SweepRun run, BaselineResult baseline, string rdir,
        Action<string> log, Action<EpochMetrics> onEpoch, CancellationToken ct)
    {
        var (config, data, device, dir) = (sweep.Config, sweep.Data, sweep.Device, sweep.Directory);
        var (name, modelName, method, bits, lambda) = (run.Name, run.Model, run.Method, run.Bits, run.Lambda);
        Directory.CreateDirectory(rdir);
        var sw = Stopwatch.StartNew();
        bool ecqx = method == "ECQx";
        log($"{name}: {method}{(ecqx ? " (" + config.Relevance + ")" : "")}, {bits} bit, Λ = {lambda.ToString(CultureInfo.InvariantCulture)}, {config.Epochs} epoch(s)");

        var settings = new EcqQuantizerSettings { Bits = bits, Ecq = EcqOptions.Default with { Lambda = lambda }, Ecqx = config.EcqxOptions };
        var relevance = ecqx ? RelevanceMethods.Create(config.Relevance, new RelevanceOptions { Seed = config.Seed }) : null;
        using var disposeRelevance = relevance as IDisposable;
        var options = TrainerOptions(config, device, rdir, config.Epochs, config.MaxBatchesPerEpoch);
        TrainingResult training;
        string quantizedPath = Path.Combine(rdir, "quantized.safetensors");
        string ecqxPath = Path.Combine(dir, "models", name + EcqxModelFile.Extension);
        QuantizedModel quantized;
        using (var model = ModelZoo.Create(modelName, data.Classes, device, config.Seed))
        using (var quantizer = new EcqWeightQuantizer(settings))
        {
            StateDictLoader.LoadSafeTensors(model, Absolute(dir, baseline.WeightsFile));
            model.to(device);
            using var trainer = new QuantizationAwareTrainer(model, data.Splits, options, quantizer, relevance);
            trainer.EpochCompleted += (_, m) =>
            {
                log($"{name}: {(m.Phase == TrainingPhase.Initial ? "initial quantization" : $"epoch {m.Epoch}")}: " +
                    $"test accuracy {m.TestAccuracy:F2}%, sparsity {100 * m.QuantizedSparsity:F1}%");
                onEpoch(m);
            };
            training = trainer.Run(ct);
            quantized = trainer.ToQuantizedModel(); // its levels and codebooks, copied: the model and trainer can go
        }
        NativeHeap.Release(); // the model, trainer and optimizer states are gone: saving and coding start from what is live
        // Save and code the quantized model, then measure the accuracy of the model decoded from the file.
        using (quantized)
            WriteCoded(quantized, quantizedPath, ecqxPath);
        NativeHeap.Release();
        var (contents, report, nnrBytes) = ReadBackCoded(ecqxPath);
        var nncodec = sweep.NnCodec?.Measure(contents.Model, rdir); // NNCodec's own sizes when the sweep has NNCodec
        double decodedAccuracy;
        using (var decodedModel = DecodedModel(sweep, modelName, contents, ecqxPath))
            decodedAccuracy = TestAccuracy(decodedModel, data, device);
        var layers = report.Tensors.Where(t => t.Storage == EcqxStorage.Levels)
            .Select(t => new LayerSummary(t.Name, t.Elements, 100 * (t.Sparsity ?? 0), t.EntropyBitsPerLevel ?? 0, t.StoredBytes)).ToList();
        var last = training.History.Count > 0 ? training.History[^1] : null;
        var result = new QuantizationRunResult(name, modelName, method, ecqx ? config.Relevance : null, bits, lambda,
            training.History.Count(h => h.Phase == TrainingPhase.Quantize), decodedAccuracy, last?.TestAccuracy ?? double.NaN,
            100 * report.LevelSparsity, report.FileBytes, report.Fp32Bytes, report.CompressionFactor, report.LevelEntropyBoundBytes,
            nnrBytes, nncodec, Relative(dir, ecqxPath), sw.Elapsed.TotalSeconds, layers);
        SweepSummaries.WriteJson(Path.Combine(rdir, ExperimentRunner.ResultFileName), result);
        File.Delete(Path.Combine(rdir, QuantizationAwareTrainer.CheckpointFileName)); // complete: result.json supersedes the resume point
        log($"{name}: accuracy {decodedAccuracy:F2}% (decoded), sparsity {result.SparsityPercent:F1}%, {result.CodedBytes} bytes, " +
            $"{result.CompressionFactor:F1}× (NNR {result.NnrBytes} bytes, {result.NnrCompressionFactor:F1}×" +
            (result.NnCodecCompressionFactor is double f ? $"; NNCodec {result.NnCodec!.PaperBytes} bytes, {f:F1}×" : "") + $") ({sw.Elapsed.TotalSeconds:F0} s)");
        return result;
    }

    /// <summary>Writes <paramref name="quantized"/> to <paramref name="quantizedPath"/> and its coded form to <paramref name="ecqxPath"/>.</summary>
    internal static void WriteCoded(QuantizedModel quantized, string quantizedPath, string ecqxPath)
    {
        quantized.Save(quantizedPath);
        Directory.CreateDirectory(Path.GetDirectoryName(ecqxPath)!);
        EcqxModelFile.Write(ecqxPath, EcqxModel.From(quantized));
    }

    /// <summary>
    /// Reads the coded model back with its compression report, and writes the same model as an NNR bitstream beside it
    /// (NNCodec decodes it); returns the NNR file's size too.
    /// </summary>
    internal static (EcqxFileContents Contents, CompressionReport Report, long NnrBytes) ReadBackCoded(string ecqxPath)
    {
        var contents = EcqxModelFile.ReadDetailed(ecqxPath);
        var report = CompressionReport.Create(contents, baselines: false);
        string nnrPath = Path.ChangeExtension(ecqxPath, NnrModelFile.Extension);
        NnrModelFile.Write(nnrPath, contents.Model);
        return (contents, report, new FileInfo(nnrPath).Length);
    }

    /// <summary>A new <paramref name="modelName"/> on the sweep's device holding the weights decoded from <paramref name="contents"/> (read from <paramref name="ecqxPath"/>); the caller disposes it.</summary>
    internal static torch.nn.Module<torch.Tensor, torch.Tensor> DecodedModel(OpenedSweep sweep, string modelName, EcqxFileContents contents, string ecqxPath)
    {
        var model = ModelZoo.Create(modelName, sweep.Data.Classes, sweep.Device, sweep.Config.Seed);
        try
        {
            using (var decoded = StateDictAdapter.ToStateDict(contents.Model))
                StateDictLoader.Load(model, decoded, ecqxPath);
            model.to(sweep.Device);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The trainer options of a sweep step (batch size, learning rate, seed, device, threads of the sweep).</summary>
    internal static TrainerOptions TrainerOptions(ResolvedConfig config, torch.Device device, string outDir, int epochs, int? maxBatches) => new()
    {
        Epochs = epochs, BatchSize = config.BatchSize, LearningRate = config.LearningRate,
        Seed = config.Seed, Device = device, Threads = config.Threads, MaxBatchesPerEpoch = maxBatches,
        OutputDirectory = outDir, Resume = true,
    };

    private static string Relative(string dir, string path)
    {
        string full = Path.GetFullPath(path);
        return full.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? Path.GetRelativePath(dir, full) : full;
    }

    private static string Absolute(string dir, string path) => Path.IsPathRooted(path) ? path : Path.Combine(dir, path);

    /// <summary>Test accuracy in %; an experiment without test data is an error.</summary>
    internal static double TestAccuracy(torch.nn.Module<torch.Tensor, torch.Tensor> model, ExperimentData data, torch.Device device)
    {
        double acc = ModelEvaluation.Accuracy(model, data.Splits.Test, device);
        return double.IsNaN(acc) ? throw new InvalidOperationException("the test set is empty; accuracy is undefined") : acc;
    }
}
