using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Speech;

/// <summary>
/// The background-noise recordings of Speech Commands, concatenated into one CPU float tensor with a table of
/// start offsets and lengths, so that a batch of random crops is a single gather.
/// </summary>
public sealed class BackgroundNoise : IDisposable
{
    private readonly Tensor _samples;   // [total]
    private readonly long[] _starts;
    private readonly long[] _lengths;

    private BackgroundNoise(Tensor samples, long[] starts, long[] lengths, IReadOnlyList<string> files)
    {
        _samples = samples.DetachFromDisposeScope();
        _starts = starts;
        _lengths = lengths;
        Files = files;
    }

    /// <summary>No noise at all.</summary>
    public static BackgroundNoise Empty() => new(zeros(0), Array.Empty<long>(), Array.Empty<long>(), Array.Empty<string>());

    /// <summary>Number of recordings.</summary>
    public int Count => _starts.Length;

    /// <summary>The recordings' paths.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Loads 16-bit PCM mono WAVs; a recording shorter than <paramref name="clipSamples"/> is zero-padded to it.</summary>
    public static BackgroundNoise Load(IReadOnlyList<string> files, int sampleRate, int clipSamples)
    {
        TorchRuntime.EnsureLoaded();
        if (files.Count == 0) return Empty();
        var all = new List<short[]>();
        var starts = new long[files.Count];
        var lengths = new long[files.Count];
        long at = 0;
        for (int i = 0; i < files.Count; i++)
        {
            var s = WavReader.ReadPcm16Mono(files[i], sampleRate);
            if (s.Length < clipSamples) Array.Resize(ref s, clipSamples);
            all.Add(s);
            starts[i] = at;
            lengths[i] = s.Length;
            at += s.Length;
        }
        var joined = new short[at];
        long pos = 0;
        foreach (var s in all) { Array.Copy(s, 0, joined, pos, s.Length); pos += s.Length; }
        using var raw = tensor(joined, dtype: int16);
        var samples = raw.to(float32).div_(32768f);
        return new BackgroundNoise(samples, starts, lengths, files.ToArray());
    }

    /// <summary>
    /// Crops of <paramref name="length"/> samples, <c>[B, length]</c> (CPU): for example <c>i</c>, recording
    /// <c>⌊choice_i·Count⌋</c> from offset <c>⌊offset_i·(len − length + 1)⌋</c>, with <paramref name="choice"/> and
    /// <paramref name="offset"/> uniform in [0, 1).
    /// </summary>
    public Tensor Crops(Tensor choice, Tensor offset, long length)
    {
        if (Count == 0) throw new InvalidOperationException("no background noise recordings are loaded.");
        using var scope = NewDisposeScope();
        var starts = tensor(_starts, dtype: int64);
        var lens = tensor(_lengths, dtype: int64);
        var which = (choice.cpu().to(float64) * Count).floor().to(int64).clamp(0, Count - 1);
        var span = lens.index_select(0, which) - length + 1;                             // >= 1
        var off = (offset.cpu().to(float64) * span.to(float64)).floor().to(int64).clamp_min(0);
        off = minimum(off, span - 1);
        var first = starts.index_select(0, which) + off;                                  // [B]
        var idx = first.unsqueeze(1) + arange(length, dtype: int64).unsqueeze(0);         // [B, L]
        return _samples.index_select(0, idx.flatten()).reshape(idx.shape[0], length).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the samples.</summary>
    public void Dispose() => _samples.Dispose();
}
