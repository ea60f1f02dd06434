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
