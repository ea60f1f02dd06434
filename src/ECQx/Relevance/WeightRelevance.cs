using TorchSharp;
using static TorchSharp.torch;
using ECQx.IO;

namespace ECQx.Relevance;

/// <summary>
/// The result of one relevance pass: a signed, batch-summed relevance tensor for every named parameter of the
/// model (shaped like the parameter), plus optionally the input relevance. Parameters a method does not
/// attribute (e.g. batch-norm γ/β under the Pass rule) hold zeros and are absent from <see cref="Attributed"/>.
/// Owns its tensors: dispose it (or move the tensors you keep).
/// </summary>
public sealed class WeightRelevance : IDisposable
{
    private readonly TensorDictionary _parameters;

    internal WeightRelevance(string method, TensorDictionary parameters, IReadOnlySet<string> attributed, Tensor? input)
    {
        Method = method;
        _parameters = parameters;
        Attributed = attributed;
        Input = input;
    }

    /// <summary>The method that produced it (e.g. <c>lrp:epsilon_plus_flat_bn_pass</c>).</summary>
    public string Method { get; }

    /// <summary>Parameter name → relevance, in the model's parameter order.</summary>
    public IReadOnlyDictionary<string, Tensor> Parameters => _parameters;

    /// <summary>Names of the parameters that received relevance from the method.</summary>
    public IReadOnlySet<string> Attributed { get; }

    /// <summary>Relevance of each input element (same shape as the inputs), when requested.</summary>
    public Tensor? Input { get; }

    /// <summary>Relevance of one parameter; unknown names are an error naming the known ones.</summary>
    public Tensor this[string parameter] => Parameters.TryGetValue(parameter, out var t) ? t
        : throw new KeyNotFoundException($"no relevance for parameter '{parameter}'. Parameters: {string.Join(", ", Parameters.Keys.Take(10))}{(Parameters.Count > 10 ? ", …" : "")}");

    /// <inheritdoc/>
    public void Dispose()
    {
        _parameters.Dispose();
        Input?.Dispose();
    }

    /// <summary>
    /// Assembles the result for <paramref name="model"/> (for implementations of <see cref="IWeightRelevanceMethod"/>):
    /// every parameter in order, a fresh copy of its entry in <paramref name="relevance"/> (in the parameter's dtype)
    /// or zeros when it has none. Tensors are moved out of the current dispose scope.
    /// </summary>
    /// <exception cref="InvalidOperationException">A relevance has another shape than its parameter, or names no parameter.</exception>
    public static WeightRelevance Build(string method, nn.Module model, IReadOnlyDictionary<string, Tensor> relevance, Tensor? input)
    {
        var dict = new TensorDictionary();
        var attributed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, p) in model.named_parameters())
        {
            Tensor t;
            if (relevance.TryGetValue(name, out var r))
            {
                if (!r.shape.SequenceEqual(p.shape))
                    throw new InvalidOperationException($"{method}: relevance for '{name}' has shape [{string.Join(", ", r.shape)}] but the parameter is [{string.Join(", ", p.shape)}]");
                t = r.detach().to_type(p.dtype).clone(); // (a fresh copy: the method's tensors are freed with its scope)
                if (!t.is_contiguous()) t = t.contiguous(); // channels-last gradients of the relevance passes
                attributed.Add(name);
            }
            else t = zeros_like(p, requires_grad: false);
            dict.Add(name, t.MoveToOuterDisposeScope());
        }
        var unknown = relevance.Keys.Where(k => !dict.ContainsKey(k)).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException($"{method}: relevance produced for unknown parameter(s) {string.Join(", ", unknown)}");
        var inputCopy = input?.detach().clone();
        if (inputCopy is not null && !inputCopy.is_contiguous()) inputCopy = inputCopy.contiguous();
        return new WeightRelevance(method, dict, attributed, inputCopy?.MoveToOuterDisposeScope());
    }
}
