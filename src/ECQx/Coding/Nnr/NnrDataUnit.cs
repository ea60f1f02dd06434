namespace ECQx.Coding.Nnr;

/// <summary>One decoded compressed data unit (one tensor).</summary>
/// <param name="Name">Its <c>topology_elem_id</c>.</param>
/// <param name="PayloadType">Its payload type.</param>
/// <param name="Dimensions">Its <c>tensor_dimensions</c>.</param>
/// <param name="Offset">Byte offset of the unit in the bitstream.</param>
/// <param name="UnitBytes">Size of the whole unit.</param>
/// <param name="PayloadBytes">Bytes after the header: the entropy-coded stream or the raw floats.</param>
/// <param name="Levels">Decoded integers of an <c>NNR_PT_INT</c> or <c>NNR_PT_FLOAT</c> unit.</param>
/// <param name="Floats">Values of an <c>NNR_PT_RAW_FLOAT</c> unit.</param>
/// <param name="Step">Step size of an <c>NNR_PT_FLOAT</c> unit, from its quantization parameter.</param>
internal sealed record NnrDataUnit(string Name, NnrPayloadType PayloadType, long[] Dimensions, int Offset, int UnitBytes, int PayloadBytes,
    int[]? Levels, float[]? Floats, double? Step);

/// <summary>Facts about one tensor's unit in a read NNR bitstream.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="PayloadType">How it is carried.</param>
/// <param name="UnitBytes">Bytes of its unit (header and payload).</param>
/// <param name="PayloadBytes">Bytes of its payload (entropy-coded levels or raw floats).</param>
public readonly record struct NnrTensorUnit(string Name, NnrPayloadType PayloadType, long UnitBytes, long PayloadBytes);

/// <summary>An NNR bitstream as read.</summary>
/// <param name="Model">The decoded model: with the ecqx note, the model that was written; without it, int32 tensors for
/// <c>NNR_PT_INT</c> units, quantized tensors for <c>NNR_PT_FLOAT</c> units, float32 tensors for raw floats.</param>
/// <param name="FileBytes">Size of the bitstream.</param>
/// <param name="Tensors">Per data unit, in bitstream order.</param>
/// <param name="HasEcqxNote">Whether the bitstream carries the ecqx note (written by ecqx).</param>
public sealed record NnrFileContents(EcqxModel Model, long FileBytes, IReadOnlyList<NnrTensorUnit> Tensors, bool HasEcqxNote);
