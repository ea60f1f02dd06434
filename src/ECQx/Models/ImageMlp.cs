using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// A LeNet-300-100-style MLP for 28×28 grey-scale images (MNIST / Fashion-MNIST): 784 → 300 → 100 →
/// classes with ReLU and no batch norm. Names <c>fc1</c>, <c>fc2</c>, <c>fc3</c>. Accepts N×784 or N×1×28×28.
/// </summary>
public sealed class ImageMlp : GraphModule
{
    /// <summary>Builds the MLP; <paramref name="hidden"/> defaults to 300, 100.</summary>
    public ImageMlp(int numClasses = 10, int inputFeatures = 784, IReadOnlyList<int>? hidden = null,
        Generator? generator = null) : base("MLP_28x28")
    {
        var graph = MlpBuilder.Build(Add, inputFeatures, hidden ?? new[] { 300, 100 }, numClasses, batchNorm: false, name: "MLP_28x28");
        Complete(graph, registerFields: false);
        ModelInit.Initialize(this, generator, kaimingWeights: true);
    }
}
