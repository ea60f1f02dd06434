using System.Globalization;
using ECQx.Models;
using ECQx.Quantization;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Benchmarks;

/// <summary>Ratio bench <c>training-parts</c>: the per-step cost of the pieces the ECQ step adds to an FP step (ResNet20, 2 threads).</summary>
internal static class TrainingPartsBench
{
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Init() => RatioBenches.Register("training-parts", Run);

    private static void Run()
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(2);
        var model = ModelZoo.Create("resnet20", seed: 1);
        using var q = new EcqWeightQuantizer();
        var ps = model.named_parameters().Where(p => q.IsQuantized(p.name, p.parameter)).ToList();
        long nMax = ps.Max(p => p.parameter.numel());
        var cbs = ps.ToDictionary(p => p.name, p => q.CreateCodebook(p.name, p.parameter.detach()));
        var grads = ps.ToDictionary(p => p.name, p => torch.randn_like(p.parameter).DetachFromDisposeScope());
        var values = ps.ToDictionary(p => p.name, p => q.Quantize(p.name, p.parameter.detach(), cbs[p.name], nMax, null).Values.clone().DetachFromDisposeScope());
        string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        double assign = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); foreach (var p in ps) q.Quantize(p.name, p.parameter.detach(), cbs[p.name], nMax, null); }, 5);
        double scaleUnique = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); foreach (var p in ps) StraightThroughEstimator.ScaleGradient(grads[p.name], values[p.name]); }, 5);
        double scalePlain = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); foreach (var p in ps) { var v = values[p.name]; var f = v.clone(); f.masked_fill_(v.eq(0), 1); _ = grads[p.name] * f; } }, 5);
        using var adam = new AdamOptimizer(ps.Select(p => new AdamParameter(p.name, p.parameter.detach().clone().DetachFromDisposeScope(), 0)), 1e-3);
        double adamMs = RatioBenches.MedianMs(() => adam.Step(a => grads[a.Name]), 5);
        Console.WriteLine($"ECQ assignment of 20 tensors {F(assign)} ms; STE scaling with distinct count {F(scaleUnique)} ms, without {F(scalePlain)} ms; background Adam {F(adamMs)} ms");
    }
}
