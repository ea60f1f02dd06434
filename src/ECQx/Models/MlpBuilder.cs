using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>The layer chain shared by <see cref="SpeechMlp"/> and <see cref="ImageMlp"/>: Linear (→ BatchNorm1d) → ReLU per hidden width, then the classifier.</summary>
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
