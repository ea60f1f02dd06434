using System.Globalization;
using ECQx.Models;
using ECQx.Quantization;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Benchmarks;

/// <summary>
/// Ratio benches <c>ecqx-parts</c> (ResNet20, batch 128) and <c>ecqx-parts-vgg16</c> (batch 64): where an ECQx step's time
/// goes, each piece timed alone (median of <c>ECQX_BENCH_REPEATS</c>, default 5, after a warm-up) and divided by a plain
/// full-precision step (forward, backward, one Adam step) — the breakdown behind the <c>training</c> bench's ECQx/FP ratio.
/// Pieces: forward+backward of the training step; the two Adam steps of a quantized step (background copies of the
/// quantized tensors with scaled gradients, and the model's); the relevance pass (the default LRP composite in eval mode,
/// with the trainer's gradient save/restore); its running average; the re-quantization of every tensor without and with
/// relevance (the β search). 2 threads.
/// </summary>
internal static class EcqxStepPartsBench
{
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Init()
    {
        RatioBenches.Register("ecqx-parts", () => Run("resnet20", 128));
        RatioBenches.Register("ecqx-parts-vgg16", () => Run("vgg16", 64));
    }

    private static void Run(string modelName, int batch)
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(2);
        int repeats = int.TryParse(Environment.GetEnvironmentVariable("ECQX_BENCH_REPEATS"), out int r) && r > 0 ? r : 5;
        var model = ModelZoo.Create(modelName, seed: 1);
        var x = randn(batch, 3, 32, 32, generator: new Generator(2)).DetachFromDisposeScope();
        var y = randint(0, 10, batch, generator: new Generator(3)).DetachFromDisposeScope();
        using var q = new EcqWeightQuantizer(new EcqQuantizerSettings { Bits = 4, Ecq = EcqOptions.Default with { Lambda = 0.4 } });
        var all = model.named_parameters().ToList();
        var ps = all.Where(p => q.IsQuantized(p.name, p.parameter)).ToList();
        long nMax = ps.Max(p => p.parameter.numel());
        var cbs = ps.ToDictionary(p => p.name, p => q.CreateCodebook(p.name, p.parameter.detach()));
        var background = ps.ToDictionary(p => p.name, p => p.parameter.detach().clone().DetachFromDisposeScope());
        using var plainAdam = new AdamOptimizer(all.Select(p => new AdamParameter(p.name, p.parameter, 0)), 1e-3);
        using var bgAdam = new AdamOptimizer(ps.Select(p => new AdamParameter(p.name, background[p.name], 0)), 1e-3);
        var method = RelevanceMethods.Create("lrp");
        var accumulator = new RelevanceAccumulator();
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

        void ForwardBackward()
        {
            model.train();
            model.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
        }
        Dictionary<string, Tensor> Relevance()
        {
            var saved = all.Select(p => p.parameter.grad?.detach().clone()).ToList(); // what EvalModeRelevance keeps
            model.eval();
            using var rel = method.Attribute(model, x, y);
            model.train();
            for (int i = 0; i < all.Count; i++) if (saved[i] is Tensor s) all[i].parameter.grad!.copy_(s);
            return ps.ToDictionary(p => p.name, p => rel.Parameters[p.name].detach().clone());
        }
        void Requantize(bool withRelevance)
        {
            foreach (var p in ps)
            {
                using var scope = NewDisposeScope();
                var a = q.Quantize(p.name, background[p.name], cbs[p.name], nMax, withRelevance ? accumulator.Get(p.name) : null);
                using var noGrad = no_grad();
                p.parameter.copy_(a.Values);
            }
        }
        ForwardBackward();
        using (var s0 = NewDisposeScope()) accumulator.Update(Relevance());

        double fp = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); ForwardBackward(); plainAdam.Step(a => a.Value.grad); }, repeats);
        double fwdBwd = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); ForwardBackward(); }, repeats);
        double adams = RatioBenches.MedianMs(() =>
        {
            using var s = NewDisposeScope();
            bgAdam.Step(a => q.ScaleGradient(a.Name, ps.First(p => p.name == a.Name).parameter.grad!, ps.First(p => p.name == a.Name).parameter.detach()));
            plainAdam.Step(a => a.Value.grad);
        }, repeats);
        double relevance = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); Relevance(); }, repeats);
        double update = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); accumulator.Update(Relevance()); }, repeats) - relevance;
        double ecq = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); Requantize(false); }, repeats);
        double ecqx = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); Requantize(true); }, repeats);
        double sum = fwdBwd + adams + relevance + update + ecqx;
        Console.WriteLine($"{modelName}, batch {batch}, 2 threads, {repeats} repeats (median ms; × = per plain FP step of {F(fp)} ms)");
        foreach (var (name, ms) in new[] { ("forward+backward", fwdBwd), ("two Adam steps (background, model)", adams), ("relevance pass (lrp, eval mode)", relevance),
                     ("relevance running average", update), ("re-quantization, ECQ", ecq), ("re-quantization, ECQx (β search)", ecqx) })
            Console.WriteLine($"  {name,-38} {F(ms),8} ms  {(ms / fp).ToString("F3", CultureInfo.InvariantCulture)}×");
        Console.WriteLine($"  sum of an ECQx step's parts {F(sum)} ms = {(sum / fp).ToString("F3", CultureInfo.InvariantCulture)}× (target ≤ 2.0×); an ECQ step's {F(fwdBwd + adams + ecq)} ms = {((fwdBwd + adams + ecq) / fp).ToString("F3", CultureInfo.InvariantCulture)}× (target ≤ 1.05×)");
    }
}
