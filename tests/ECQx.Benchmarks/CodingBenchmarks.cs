using BenchmarkDotNet.Attributes;
using ECQx.Coding;

namespace ECQx.Benchmarks;

/// <summary>BenchmarkDotNet: level coder encode/decode on the 2.36M-weight 4-bit, ~70 % sparse tensor.</summary>
[MemoryDiagnoser]
public class CodingBenchmarks
{
    private int[] _levels = [];
    private byte[] _stream = [];
    private int[] _decoded = [];

    /// <summary>Whether the per-filter-scale variant is used.</summary>
    [Params(false, true)]
    public bool Structured { get; set; }

    /// <summary>Whether the trial pass chooses context parameters.</summary>
    [Params(true, false)]
    public bool Trial { get; set; }

    /// <summary>Builds the levels and one encoded stream.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _levels = CodingSamples.FourBitLaplacian(Structured);
        _stream = LevelCoder.Encode(_levels, Options);
        _decoded = new int[_levels.Length];
    }

    private CoderOptions Options => CoderOptions.Default with { OptimizeContextParameters = Trial };

    /// <summary>Encodes the tensor.</summary>
    [Benchmark]
    public byte[] Encode() => LevelCoder.Encode(_levels, Options);

    /// <summary>Decodes the tensor.</summary>
    [Benchmark]
    public int[] Decode()
    {
        LevelCoder.Decode(_stream, _decoded);
        return _decoded;
    }
}
