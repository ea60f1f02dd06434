using System.Collections;
using TorchSharp;

namespace ECQx.IO;

/// <summary>
/// Named tensors in insertion order that own their tensors: disposing the dictionary disposes every tensor in it
/// (the one home for "free all tensors of a state dict"). Keys are compared ordinally.
/// </summary>
public sealed class TensorDictionary : IReadOnlyDictionary<string, torch.Tensor>, IDisposable
{
    private readonly List<KeyValuePair<string, torch.Tensor>> _items = new();
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>An empty dictionary.</summary>
    public TensorDictionary() { }

    /// <summary>Takes ownership of <paramref name="tensors"/> (names must be unique).</summary>
    public TensorDictionary(IEnumerable<KeyValuePair<string, torch.Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var (k, v) in tensors) Add(k, v);
    }

    /// <summary>Adds a tensor the dictionary then owns; a name given twice is an error naming it.</summary>
    public void Add(string name, torch.Tensor tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_index.TryAdd(name, _items.Count)) throw new ArgumentException($"tensor name '{name}' appears twice", nameof(name));
        _items.Add(new(name, tensor));
    }

    /// <inheritdoc />
    public torch.Tensor this[string key] => _index.TryGetValue(key, out int i) ? _items[i].Value
        : throw new KeyNotFoundException($"no tensor named '{key}'");

    /// <inheritdoc />
    public IEnumerable<string> Keys => _items.Select(kv => kv.Key);

    /// <inheritdoc />
    public IEnumerable<torch.Tensor> Values => _items.Select(kv => kv.Value);

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _index.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out torch.Tensor value)
    {
        bool found = _index.TryGetValue(key, out int i);
        value = found ? _items[i].Value : null;
        return found;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, torch.Tensor>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every tensor (once).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, t) in _items) t.Dispose();
    }
}
