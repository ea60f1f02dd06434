namespace ECQx.Notebooks.Kernel;

/// <summary>
/// The signatures of the last accepted messages, to refuse a message sent again (a replay): a signed message
/// is only valid once, as in jupyter_client's <c>Session</c>. Bounded: when full, the oldest signature is forgotten.
/// Not used when signing is off (every signature is then empty).
/// </summary>
internal sealed class SignatureHistory(int capacity)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly int _capacity = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the signature history needs room for at least one signature");

    /// <summary>Records <paramref name="signature"/>; false when it was already recorded (the message is a replay).</summary>
    internal bool Add(string signature)
    {
        lock (_seen)
        {
            if (!_seen.Add(signature)) return false;
            _order.Enqueue(signature);
            if (_order.Count > _capacity) _seen.Remove(_order.Dequeue());
            return true;
        }
    }

    /// <summary>How many signatures are remembered.</summary>
    internal int Count
    {
        get { lock (_seen) return _seen.Count; }
    }
}
