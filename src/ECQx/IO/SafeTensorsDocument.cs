using TorchSharp;

namespace ECQx.IO;

/// <summary>
/// The content of a safetensors file: named tensors in file order and the string metadata of
/// <c>__metadata__</c>. Disposing it disposes the tensors it still owns.
/// </summary>
public sealed class SafeTensorsDocument : IDisposable
{
    private readonly TensorDictionary _tensors;

    internal SafeTensorsDocument(TensorDictionary tensors, IReadOnlyDictionary<string, string> metadata)
    {
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The tensors by name, in the order of their data in the file.</summary>
    public IReadOnlyDictionary<string, torch.Tensor> Tensors => _tensors;

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Disposes every tensor of the document.</summary>
    public void Dispose() => _tensors.Dispose();
}
