using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// A fully connected keyword-spotting network for Google Speech Commands in the style of the MLP_GSC of
/// FantastIC4 / ECQx. The paper's exact widths could not be retrieved (spec §e), so this is our choice:
/// input 49×10 MFCC = 490 features, hidden widths 512, 512, 256 (default), 12 classes (10 keywords +
/// silence + unknown), each hidden layer Linear → BatchNorm1d → ReLU. Names: <c>fc1</c>, <c>bn1</c>, …,
/// <c>fc4</c> for the default depth (<c>fc{k}</c>/<c>bn{k}</c> in general). Any input of N×490 values
/// (flat or N×1×49×10) is accepted.
/// </summary>
public sealed class SpeechMlp : GraphModule
{
    /// <summary>The default hidden widths (our choice, see the class remarks).</summary>
    public static readonly IReadOnlyList<int> DefaultHidden = new[] { 512, 512, 256 };

    /// <summary>Builds the MLP. <paramref name="hidden"/> defaults to <see cref="DefaultHidden"/>.</summary>
    public SpeechMlp(int numClasses = 12, int inputFeatures = 490, IReadOnlyList<int>? hidden = null,
        bool batchNorm = true, Generator? generator = null) : base("MLP_GSC")
    {
        var graph = MlpBuilder.Build(Add, inputFeatures, hidden ?? DefaultHidden, numClasses, batchNorm, name: "MLP_GSC");
        Complete(graph, registerFields: false);
        ModelInit.Initialize(this, generator, kaimingWeights: true);
    }
}

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

internal static class MlpBuilder
{
    public static LayerNode Build(Func<string, nn.Module<Tensor, Tensor>, nn.Module<Tensor, Tensor>> add,
        int inputFeatures, IReadOnlyList<int> hidden, int numClasses, bool batchNorm, string name)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "needs at least one class");
        if (inputFeatures < 1) throw new ArgumentOutOfRangeException(nameof(inputFeatures), inputFeatures, "needs at least one input feature");
        if (hidden.Any(h => h < 1)) throw new ArgumentException($"{name}: hidden widths must be positive, got [{string.Join(", ", hidden)}]");
        var steps = new List<LayerNode> { new ModuleStep(new ReshapeTo(inputFeatures), Functional: true) };
        long inF = inputFeatures;
        int k = 1;
        foreach (int h in hidden)
        {
            steps.Add(new ModuleStep(add($"fc{k}", nn.Linear(inF, h))));
            if (batchNorm) steps.Add(new ModuleStep(add($"bn{k}", nn.BatchNorm1d(h))));
            steps.Add(new ModuleStep(nn.ReLU()));
            inF = h;
            k++;
        }
        steps.Add(new ModuleStep(add($"fc{k}", nn.Linear(inF, numClasses))));
        return new LayerChain(steps);
    }
}
