namespace ECQx.Coding;

/// <summary>One named tensor of an <see cref="EcqxModel"/>: either quantized levels or raw data.</summary>
public abstract class EcqxTensor
{
    /// <summary>Largest number of dimensions a tensor may have.</summary>
    public const int MaxRank = 32;

    private protected EcqxTensor(string name, EcqxDType dtype, IReadOnlyList<long> shape)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("tensor name must not be empty", nameof(name));
        if (!EcqxDTypes.IsDefined(dtype)) throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"tensor '{name}': unknown dtype");
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count > MaxRank) throw new ArgumentException($"tensor '{name}' has {shape.Count} dimensions; at most {MaxRank} are supported", nameof(shape));
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}' has a negative dimension {d}", nameof(shape));
            count = d == 0 ? 0 : count > Array.MaxLength / d
                ? throw new ArgumentException($"tensor '{name}' of shape [{string.Join(", ", shape)}] has more than {Array.MaxLength} elements", nameof(shape))
                : count * d;
        }
        Name = name;
        DType = dtype;
        Shape = shape.ToArray();
        ElementCount = (int)count;
    }

    /// <summary>The tensor's name (a state-dict key).</summary>
    public string Name { get; }

    /// <summary>The element type of the tensor as it is restored.</summary>
    public EcqxDType DType { get; }

    /// <summary>The dimensions (empty for a scalar).</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Number of elements (the product of <see cref="Shape"/>, 1 for a scalar).</summary>
    public int ElementCount { get; }

    /// <summary>The shape as text, e.g. <c>[16, 3, 3, 3]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// A quantized float32 tensor: one integer level per element on a uniform grid, value = <c>(float)(level · Step)</c>
/// evaluated in double precision (spec §d.1 integer export, with round-to-nearest levels). Elements whose exact
/// float32 value is not reproduced by that formula (for instance −0.0, or a grid value computed with a
/// different rounding) carry a <see cref="ValuePatch"/> with the exact value, so decoding is bit-exact.
/// </summary>
public sealed class QuantizedTensor : EcqxTensor
{
    /// <summary>Creates a quantized tensor and checks every invariant.</summary>
    /// <param name="name">State-dict key.</param>
    /// <param name="shape">Dimensions.</param>
    /// <param name="levels">One level per element, row-major; kept by reference (do not modify).</param>
    /// <param name="step">Grid step Δ, finite and at least <see cref="MinStep"/>; step × the largest |level| must be a finite float32.</param>
    /// <param name="bitWidth">Codebook bit width b, 1..32; levels lie in <c>[minLevel, minLevel + 2^b − 1]</c>.</param>
    /// <param name="minLevel">The codebook's lowest level (its offset).</param>
    /// <param name="patches">Exact values for elements the grid formula does not reproduce, by increasing index.</param>
    public QuantizedTensor(string name, IReadOnlyList<long> shape, int[] levels, double step, int bitWidth, int minLevel,
        IReadOnlyList<ValuePatch>? patches = null)
        : base(name, EcqxDType.Float32, shape)
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Length != ElementCount)
            throw new ArgumentException($"tensor '{name}': {levels.Length} levels for {ElementCount} elements", nameof(levels));
        if (!IsUsableStep(step))
            throw new ArgumentOutOfRangeException(nameof(step), step, $"tensor '{name}': step must be finite and at least {MinStep:R} (the smallest normal float32)");
        if (bitWidth is < 1 or > 32)
            throw new ArgumentOutOfRangeException(nameof(bitWidth), bitWidth, $"tensor '{name}': bit width must be 1..32");
        long maxLevel = minLevel + (1L << bitWidth) - 1;
        if (maxLevel > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(minLevel), minLevel, $"tensor '{name}': a {bitWidth}-bit codebook from level {minLevel} exceeds int32");
        long largest = 0;
        for (int i = 0; i < levels.Length; i++)
        {
            if (levels[i] < minLevel || levels[i] > maxLevel)
                throw new ArgumentException(
                    $"tensor '{name}': level {levels[i]} at index {i} is outside the {bitWidth}-bit codebook [{minLevel}, {maxLevel}]", nameof(levels));
            largest = Math.Max(largest, Math.Abs((long)levels[i]));
        }
        if (!float.IsFinite(GridValue(largest, step)))
            throw new ArgumentException($"tensor '{name}': step {step:R} × largest level {largest} overflows float32", nameof(step));
        patches ??= [];
        for (int i = 0; i < patches.Count; i++)
        {
            var p = patches[i];
            if (p.Index < 0 || p.Index >= ElementCount || (i > 0 && p.Index <= patches[i - 1].Index))
                throw new ArgumentException($"tensor '{name}': value patches must have increasing indices below {ElementCount}", nameof(patches));
            if (!float.IsFinite(p.Value))
                throw new ArgumentException($"tensor '{name}': value patch at index {p.Index} is {p.Value}", nameof(patches));
        }
        Levels = levels;
        Step = step;
        BitWidth = bitWidth;
        MinLevel = minLevel;
        Patches = patches.ToArray();
    }

    /// <summary>The levels, row-major.</summary>
    public ReadOnlyMemory<int> Levels { get; }

    /// <summary>Grid step Δ.</summary>
    public double Step { get; }

    /// <summary>Codebook bit width b.</summary>
    public int BitWidth { get; }

    /// <summary>Lowest codebook level.</summary>
    public int MinLevel { get; }

    /// <summary>Highest codebook level, <c>MinLevel + 2^BitWidth − 1</c>.</summary>
    public long MaxLevel => MinLevel + (1L << BitWidth) - 1;

    /// <summary>Exact values that replace the grid value at some elements.</summary>
    public IReadOnlyList<ValuePatch> Patches { get; }

    /// <summary>
    /// The coded form of an ECQ/ECQx assignment: its integer levels on <paramref name="codebook"/>'s grid (step, bit
    /// width and lowest level from the codebook), named as the assignment's tensor. The grid value of every level is
    /// exactly the assignment's value, so no patches are needed. A degenerate codebook (all-zero tensor, Δ = 0) is
    /// coded with step 1 (every level is 0).
    /// </summary>
    /// <exception cref="ArgumentException">The levels do not have the assignment's shape, or lie outside the codebook.</exception>
    public static QuantizedTensor From(ECQx.Quantization.EcqAssignment assignment, ECQx.Quantization.Codebook codebook)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(codebook);
        using var scope = TorchSharp.torch.NewDisposeScope();
        int[] levels = assignment.Levels.detach().reshape(-1).to(TorchSharp.torch.int32).cpu().data<int>().ToArray();
        return new QuantizedTensor(assignment.Stats.Name, assignment.Levels.shape, levels, codebook.IsDegenerate ? 1.0 : codebook.Step,
            codebook.Bits, codebook.MinLevel);
    }

    /// <summary>The float32 value of a level on a grid of step <paramref name="step"/>: <c>(float)(level · step)</c> in double.</summary>
    public static float GridValue(long level, double step) => (float)(level * step);

    /// <summary>The smallest usable step: the smallest normal float32 (2^-126). A smaller step is degenerate: its grid
    /// values are float32 subnormals or zeros (a forged step of 5e-324 would decode every weight to 0).</summary>
    public const double MinStep = 1.1754943508222875e-38;

    /// <summary>True for a finite step of at least <see cref="MinStep"/>.</summary>
    public static bool IsUsableStep(double step) => double.IsFinite(step) && step >= MinStep;
}

/// <summary>The exact float32 value of one element of a <see cref="QuantizedTensor"/>.</summary>
/// <param name="Index">Row-major element index.</param>
/// <param name="Value">The value (bit pattern preserved, e.g. −0.0).</param>
public readonly record struct ValuePatch(int Index, float Value);

/// <summary>A tensor stored as its raw little-endian bytes (BN parameters, biases, integer buffers).</summary>
public sealed class RawTensor : EcqxTensor
{
    /// <summary>Creates a raw tensor; <paramref name="data"/> holds <c>ElementCount · ElementSize</c> little-endian bytes.</summary>
    public RawTensor(string name, EcqxDType dtype, IReadOnlyList<long> shape, byte[] data)
        : base(name, dtype, shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        long expected = (long)ElementCount * dtype.ElementSize();
        if (data.Length != expected)
            throw new ArgumentException($"tensor '{name}' of dtype {dtype} and shape {ShapeText} needs {expected} bytes, got {data.Length}", nameof(data));
        Data = data;
    }

    /// <summary>The raw little-endian element bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }
}
