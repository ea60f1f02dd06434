using System.Text.Json;
using ECQx.IO;
using ECQx.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Training;

/// <summary>
/// The checkpoint file of a training run: a safetensors file whose tensors carry prefixed names
/// (<see cref="ModelPrefix"/>, <see cref="BackgroundPrefix"/>, …) and whose metadata holds the JSON
/// <see cref="CheckpointState"/> under <see cref="CheckpointState.MetadataKey"/> and its SHA-256 under
/// <see cref="CheckpointIntegrity.MetadataKey"/>. Reading checks the digest (a damaged checkpoint is refused), the format
/// version and that the run's options match the ones it was written with (see also <see cref="RunSettings"/>).
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>File name of the checkpoint inside a run's output directory.</summary>
    public const string FileName = "checkpoint.safetensors";
    /// <summary>Prefix of the model's state-dict tensors.</summary>
    public const string ModelPrefix = "model/";
    /// <summary>Prefix of the FP background copies of the quantized tensors.</summary>
    public const string BackgroundPrefix = "background/";
    /// <summary>Prefix of the codebook centroids.</summary>
    public const string CodebookPrefix = "codebook/";
    /// <summary>Prefix of the running relevance averages.</summary>
    public const string RelevancePrefix = "relevance/";
    /// <summary>Prefix of the full-precision optimizer's moments.</summary>
    public const string FullPrecisionOptimizerPrefix = "adam_fp/";
    /// <summary>Prefix of the background optimizer's moments.</summary>
    public const string BackgroundOptimizerPrefix = "adam_background/";
    /// <summary>Prefix of the model optimizer's moments.</summary>
    public const string ModelOptimizerPrefix = "adam_model/";
    /// <summary>Name of the torch CPU generator state.</summary>
    public const string CpuGeneratorKey = "rng/cpu";

    /// <summary>Writes <paramref name="state"/> and <paramref name="tensors"/> atomically to <paramref name="path"/>.</summary>
    public static void Write(string path, CheckpointState state, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var list = tensors.ToList();
        string json = JsonSerializer.Serialize(state, MetricsLog.Json);
        var meta = new Dictionary<string, string>
        {
            [CheckpointState.MetadataKey] = json, [CheckpointIntegrity.MetadataKey] = CheckpointIntegrity.Digest(json, list),
        };
        SafeTensors.Save(path, list, meta);
    }

    /// <summary>
    /// Reads a checkpoint (tensors on <paramref name="device"/>; the caller disposes the document) and its state.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a checkpoint, damaged (digest mismatch), invalid JSON, or another format version.</exception>
    public static SafeTensorsDocument Read(string path, Device device, out CheckpointState state)
    {
        var doc = SafeTensors.Load(path, device);
        try
        {
            if (!doc.Metadata.TryGetValue(CheckpointState.MetadataKey, out var json))
                throw new InvalidDataException($"{path}: not a training checkpoint (metadata key '{CheckpointState.MetadataKey}' missing)");
            CheckpointIntegrity.Verify(path, doc.Metadata, json, doc.Tensors);
            try { state = JsonSerializer.Deserialize<CheckpointState>(json, MetricsLog.Json) ?? throw new InvalidDataException($"{path}: empty checkpoint state"); }
            catch (JsonException e) { throw new InvalidDataException($"{path}: checkpoint state is not valid JSON: {e.Message}", e); }
            if (state.Format != CheckpointState.CurrentFormat) throw new InvalidDataException($"{path}: checkpoint format {state.Format}, this build reads {CheckpointState.CurrentFormat}");
            return doc;
        }
        catch
        {
            doc.Dispose();
            throw;
        }
    }

    /// <summary>Checks that a checkpoint was written by a run with the same seed, batch size and kind (quantized or not).</summary>
    /// <exception cref="ArgumentException">A difference, naming both values.</exception>
    public static void RequireSameRun(CheckpointState state, string path, TrainerOptions options, bool quantized)
    {
        if (state.Seed != options.Seed) throw new ArgumentException($"{path}: checkpoint was written with seed {state.Seed}, but this run uses seed {options.Seed}");
        if (state.BatchSize != options.BatchSize) throw new ArgumentException($"{path}: checkpoint was written with batch size {state.BatchSize}, but this run uses {options.BatchSize}");
        if (state.Quantized != quantized) throw new ArgumentException($"{path}: checkpoint is of a {(state.Quantized ? "quantized" : "full-precision")} run");
    }

    /// <summary>Copies the stored tensor <paramref name="key"/> into <paramref name="destination"/>, with clear errors for a missing or mis-shaped one.</summary>
    public static void CopyInto(IReadOnlyDictionary<string, Tensor> tensors, string key, Tensor destination, string path)
    {
        if (!tensors.TryGetValue(key, out var source)) throw new InvalidDataException($"{path}: tensor '{key}' missing (was the checkpoint written for another model?)");
        if (!source.shape.SequenceEqual(destination.shape))
            throw new InvalidDataException($"{path}: tensor '{key}' has shape [{string.Join(", ", source.shape)}], the model expects [{string.Join(", ", destination.shape)}]");
        destination.copy_(source);
    }

    /// <summary>
    /// The codebook stored as step and bit width (<paramref name="info"/>) and centroids (<paramref name="centroids"/>; its
    /// lowest level is the first centroid over the step), rebuilt on <paramref name="device"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">Invalid step or bits, or centroids that are not that grid.</exception>
    public static Codebook ReadCodebook(string name, CheckpointState.StoredCodebook info, Tensor centroids, Device device, string path)
    {
        using var scope = NewDisposeScope();
        var stored = centroids.to(float32).cpu();
        int minLevel = info.StepSize == 0 || stored.numel() == 0 ? 0 : (int)Math.Round(stored[0].item<float>() / info.StepSize);
        Codebook cb;
        try { cb = new Codebook(info.Bits, info.StepSize, minLevel, device, name); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: codebook of '{name}' is invalid: {e.Message}", e); }
        using var rebuilt = cb.Centroids.cpu();
        if (!rebuilt.shape.SequenceEqual(stored.shape) || !rebuilt.eq(stored).all().item<bool>())
        {
            cb.Dispose();
            throw new InvalidDataException($"{path}: tensor '{CodebookPrefix}{name}' does not match its step {info.StepSize:R} and bit width {info.Bits}");
        }
        return cb;
    }
}
