namespace ECQx.Coding;

/// <summary>How a tensor's data is stored in an .ecqx file (the code is the byte stored in the file).</summary>
public enum EcqxStorage : byte
{
    /// <summary>Entropy-coded integer levels (<see cref="LevelCoder"/>) plus value patches; section <c>LVLS</c>.</summary>
    Levels = 1,

    /// <summary>Raw little-endian bytes in the tensor's own dtype (lossless); section <c>RAWS</c>.</summary>
    Raw = 2,

    /// <summary>A float32/float64 tensor stored as IEEE binary16 (lossy); section <c>RAWS</c>.</summary>
    Float16 = 3,
}

/// <summary>Options for writing an .ecqx file.</summary>
public sealed record EcqxWriteOptions
{
    /// <summary>The defaults: default coder options, raw tensors stored losslessly.</summary>
    public static EcqxWriteOptions Default { get; } = new();

    /// <summary>Options of the level coder.</summary>
    public CoderOptions Coder { get; init; } = CoderOptions.Default;

    /// <summary>
    /// Store float32/float64 tensors that are not quantized (BN parameters and statistics, biases) as
    /// float16. Lossy: values are rounded to binary16, magnitudes above 65504 become infinite, and tiny values
    /// lose precision or flush to zero. Off (the default) keeps them bit-exact.
    /// </summary>
    public bool StoreFloatsAsFloat16 { get; init; }
}

/// <summary>Where one tensor sits in a read .ecqx file.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Storage">How its data is stored.</param>
/// <param name="PayloadBytes">Bytes of its data section's payload (for levels: patches plus the coded stream).</param>
public readonly record struct EcqxTensorStorage(string Name, EcqxStorage Storage, long PayloadBytes);

/// <summary>An .ecqx file as read: the model and the layout facts the size report needs.</summary>
/// <param name="Model">The decoded model.</param>
/// <param name="FileBytes">Size of the whole file.</param>
/// <param name="Storage">Per tensor, in model order, how it is stored and how many bytes it takes.</param>
public sealed record EcqxFileContents(EcqxModel Model, long FileBytes, IReadOnlyList<EcqxTensorStorage> Storage);
