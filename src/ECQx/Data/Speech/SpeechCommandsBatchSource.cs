using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Speech;

/// <summary>
/// One split of Speech Commands as MFCC batches <c>[B, frames, coefficients]</c> (49×10 by default) with int64
/// labels. Two modes: <b>fixed features</b> (evaluation splits, or training without augmentation), computed once,
/// cached on disk and served by index; or <b>augmented</b> (training), where each batch's WAVs are read, time-shifted
/// and mixed with noise (seeded by the seed and epoch) and the MFCCs are computed on the batch's device.
/// </summary>
public sealed class SpeechCommandsBatchSource : BatchSource
{
    private const int ChunkSize = 256;
    private readonly SpeechCommandsLayout _layout;
    private readonly IReadOnlyList<SpeechExample> _examples;
    private readonly SpeechCommandsOptions _options;
    private readonly Mfcc _mfcc;
    private readonly Tensor _labels;
    private readonly Tensor? _features;           // fixed mode
    private readonly BackgroundNoise? _noise;     // augmented mode (owned)

    internal SpeechCommandsBatchSource(string split, SpeechCommandsLayout layout, IReadOnlyList<SpeechExample> examples,
        IReadOnlyList<string> classNames, SpeechCommandsOptions options, BatchOptions batch, BackgroundNoise noise, bool augment)
        : base(batch, classNames)
    {
        Split = split;
        _layout = layout;
        _examples = examples;
        _options = options;
        _mfcc = new Mfcc(options.Mfcc, batch.Device ?? CPU);
        _labels = tensor(examples.Select(e => (long)e.Label).ToArray(), dtype: int64).DetachFromDisposeScope();
        if (augment)
        {
            _noise = noise;
            return;
        }
        try
        {
            _features = LoadOrComputeFeatures(noise).DetachFromDisposeScope();
        }
        catch
        {
            _mfcc.Dispose();
            _labels.Dispose();
            throw;
        }
    }

    /// <summary>Split name (<c>train</c>, <c>validation</c>, <c>test</c>).</summary>
    public string Split { get; }

    /// <summary>The examples in storage order.</summary>
    public IReadOnlyList<SpeechExample> Examples => _examples;

    /// <summary>True when batches are augmented on the fly.</summary>
    public bool Augmented => _noise is not null;

    /// <summary>The feature cache file used (null when caching is off or in augmented mode).</summary>
    public string? CacheFile { get; private set; }

    /// <summary>True when the fixed features were read from the cache rather than computed.</summary>
    public bool LoadedFromCache { get; private set; }

    /// <inheritdoc />
    public override int Count => _examples.Count;

    /// <inheritdoc />
    public override long[] InputShape => new long[] { _options.Mfcc.FramesFor(_options.ClipSamples), _options.Mfcc.Coefficients };

    /// <inheritdoc />
    public override IEnumerable<(Tensor inputs, Tensor labels)> Batches(int epoch) =>
        PlannedBatches(epoch, _noise is not null, (indices, gen) => _features is not null ? FixedBatch(indices) : AugmentedBatch(indices, gen!));

    /// <summary>
    /// Reads the clips of <paramref name="indices"/> as float waveforms <c>[B, ClipSamples]</c> in [−1, 1) on CPU
    /// (silence examples are zeros), padding or cutting each to the clip length.
    /// </summary>
    public Tensor ReadWaveforms(IReadOnlyList<long> indices)
    {
        int t = _options.ClipSamples;
        var buffer = new short[(long)indices.Count * t];
        for (int i = 0; i < indices.Count; i++)
        {
            var ex = _examples[(int)indices[i]];
            if (ex.IsSilence) continue;
            var samples = WavReader.ReadPcm16Mono(_layout.FullPath(new SpeechClip(ex.RelativePath!, "")), _options.SampleRate);
            Array.Copy(samples, 0, buffer, (long)i * t, Math.Min(samples.Length, t));
        }
        using var raw = tensor(buffer, dtype: int16).reshape(indices.Count, t);
        return raw.to(float32).div_(32768f);
    }

    private (Tensor, Tensor) FixedBatch(long[] indices)
    {
        using var scope = NewDisposeScope();
        var idx = tensor(indices, dtype: int64);
        var x = _features!.index_select(0, idx).to(Device);
        var y = _labels.index_select(0, idx).to(Device);
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    private (Tensor, Tensor) AugmentedBatch(long[] indices, Generator gen)
    {
        using var scope = NewDisposeScope();
        var waves = ReadWaveforms(indices);
        var silence = tensor(indices.Select(i => _examples[(int)i].IsSilence).ToArray());
        var mixed = _options.TrainAugmentation!.Apply(waves.to(Device), silence, _noise!, gen);
        var x = _mfcc.Compute(mixed);
        var y = _labels.index_select(0, tensor(indices, dtype: int64)).to(Device);
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    private Tensor LoadOrComputeFeatures(BackgroundNoise noise)
    {
        string? key = null, path = null;
        if (_options.UseFeatureCache)
        {
            string dir = _options.FeatureCacheDirectory ?? Path.Combine(Download.DataDirectory.Resolve(), "features");
            key = SpeechFeatureCache.Key(Describe(noise));
            path = SpeechFeatureCache.PathFor(dir, Split, key);
            CacheFile = path;
            var cached = SpeechFeatureCache.TryLoad(path, key);
            if (cached is { } c)
            {
                using var cachedLabels = c.labels;
                if (c.features.shape[0] == Count && c.features.shape[1] == InputShape[0] && c.features.shape[2] == InputShape[1]
                    && SameLabels(cachedLabels))
                {
                    LoadedFromCache = true;
                    return c.features;
                }
                c.features.Dispose();
            }
        }
        var features = ComputeFixedFeatures(noise);
        if (path is not null) SpeechFeatureCache.Save(path, key!, features, _labels);
        return features;
    }

    private bool SameLabels(Tensor other)
    {
        if (other.shape[0] != _labels.shape[0]) return false;
        using var eq = other.eq(_labels).all();
        return eq.item<bool>();
    }

    private Tensor ComputeFixedFeatures(BackgroundNoise noise)
    {
        var evalAug = SpeechAugmentation.EvaluationSilenceOnly with { SilenceVolume = _options.EvaluationSilenceVolume };
        using var gen = EpochSeeds.Generator(Batching.Seed, -1, EpochSeeds.AugmentStream ^ StableHash(Split));
        var parts = new List<Tensor>();
        try
        {
            for (int start = 0; start < Count; start += ChunkSize)
            {
                using var scope = NewDisposeScope();
                var indices = Enumerable.Range(start, Math.Min(ChunkSize, Count - start)).Select(i => (long)i).ToArray();
                var waves = ReadWaveforms(indices);
                var silence = tensor(indices.Select(i => _examples[(int)i].IsSilence).ToArray());
                var mixed = evalAug.Apply(waves.to(Device), silence, noise, gen);
                parts.Add(_mfcc.Compute(mixed).cpu().MoveToOuterDisposeScope());
            }
            if (parts.Count == 0) return zeros(new long[] { 0, InputShape[0], InputShape[1] }, dtype: float32);
            return cat(parts, 0);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    private string Describe(BackgroundNoise noise)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(SpeechFeatureCache.FormatVersion).Append('\n');
        sb.Append("split=").Append(Split).Append('\n');
        sb.Append("mfcc=").Append(System.Text.Json.JsonSerializer.Serialize(_options.Mfcc)).Append('\n');
        sb.Append($"rate={_options.SampleRate} clip={_options.ClipSamples} seed={Batching.Seed} evalSilenceVolume={_options.EvaluationSilenceVolume:R}\n");
        foreach (var ex in _examples) sb.Append(ex.Label).Append('\t').Append(ex.RelativePath ?? "<silence>").Append('\t').Append(FileStamp(ex.RelativePath)).Append('\n');
        foreach (var f in noise.Files) sb.Append("noise\t").Append(Path.GetFileName(f)).Append('\t').Append(FileStampAbsolute(f)).Append('\n');
        return sb.ToString();
    }

    private string FileStamp(string? relative) =>
        relative is null ? "" : FileStampAbsolute(_layout.FullPath(new SpeechClip(relative, "")));

    private static string FileStampAbsolute(string path)
    {
        var fi = new FileInfo(path);
        return fi.Exists ? $"{fi.Length}:{fi.LastWriteTimeUtc.Ticks}" : "missing";
    }

    private static ulong StableHash(string s)
    {
        ulong h = 1469598103934665603UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    /// <summary>Disposes the features, labels, MFCC tensors and (in augmented mode) the noise.</summary>
    protected override void DisposeData()
    {
        _features?.Dispose();
        _labels.Dispose();
        _mfcc.Dispose();
        _noise?.Dispose();
    }
}
