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
/// Pieces: forward+backward of the training step; the two Adam steps of an ECQx step (background copies of the
/// quantized tensors with scaled gradients, and the model's) and those of an ECQ step (the model's without the quantized
/// tensors); the relevance pass (the default LRP composite in eval mode,
/// with the trainer's setting aside of gradients); its running average; the re-quantization of every tensor without and with
/// relevance (the β search). 2 threads. Each piece's peak memory above the RSS it starts at is printed beside its time.
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
        using var quantizedParams = new QuantizedParameters(ps.Select(p => p.name).ToList(), all.ToDictionary(p => p.name, p => p.parameter));
        var batchXY = new TrainingBatch(x, y);
        WeightRelevance Relevance() => EvalModeRelevance.Compute(model, all, method, batchXY, quantizedParams); // the trainer's call
        void RelevanceAndUpdate()
        {
            using var rel = Relevance();
            accumulator.Update(rel.Parameters, ps.Select(p => p.name));
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
        using (var s0 = NewDisposeScope()) RelevanceAndUpdate();

        double fp = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); ForwardBackward(); plainAdam.Step(a => a.Value.grad); }, repeats);
        double fwdBwd = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); ForwardBackward(); }, repeats);
        // The background step sees the model holding centroids (as in the trainer, where it follows a re-quantization);
        // the model's Adam step then moves them, so each round puts the centroids back (timed apart and subtracted).
        Requantize(false);
        var centroids = ps.ToDictionary(p => p.name, p => p.parameter.detach().clone().DetachFromDisposeScope());
        void PutCentroidsBack()
        {
            using var noGrad = no_grad();
            foreach (var p in ps) p.parameter.copy_(centroids[p.name]);
        }
        void BackgroundAdamStep() =>
            bgAdam.Step(a => q.ScaleGradient(a.Name, ps.First(p => p.name == a.Name).parameter.grad!, ps.First(p => p.name == a.Name).parameter.detach()));
        void TwoAdamSteps()
        {
            BackgroundAdamStep();
            plainAdam.Step(a => a.Value.grad);
        }
        // An ECQ step (no relevance) leaves the quantized tensors out of the model's Adam step: the re-quantization
        // overwrites them unseen.
        void EcqAdamSteps()
        {
            BackgroundAdamStep();
            plainAdam.Step(a => quantizedParams.Contains(a.Name) ? null : a.Value.grad);
        }
        double putBack = RatioBenches.MedianMs(PutCentroidsBack, repeats);
        double adams = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); TwoAdamSteps(); PutCentroidsBack(); }, repeats) - putBack;
        double ecqAdams = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); EcqAdamSteps(); }, repeats);
        double relevance = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); Relevance().Dispose(); }, repeats);
        double update = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); RelevanceAndUpdate(); }, repeats) - relevance;
        double ecq = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); Requantize(false); }, repeats);
        double ecqx = RatioBenches.MedianMs(() => { using var s = NewDisposeScope(); Requantize(true); }, repeats);
        // Memory: each piece once more, with the kernel's peak counter reset at its start; what it adds above the RSS it began at.
        double PeakAboveMb(Action piece)
        {
            ECQx.NativeHeap.Release();
            var (before, _) = MemoryStagesBench.Memory();
            if (!MemoryStagesBench.ResetPeak()) return double.NaN;
            using (var s = NewDisposeScope()) piece();
            return MemoryStagesBench.Memory().Peak - before;
        }
        var peaks = new Dictionary<string, double>
        {
            ["forward+backward"] = PeakAboveMb(ForwardBackward),
            ["two Adam steps (background, model)"] = PeakAboveMb(() => { TwoAdamSteps(); PutCentroidsBack(); }),
            ["Adam steps of an ECQ step"] = PeakAboveMb(EcqAdamSteps),
            ["relevance pass (lrp, eval mode)"] = PeakAboveMb(() => Relevance().Dispose()),
            ["relevance running average"] = PeakAboveMb(RelevanceAndUpdate),
            ["re-quantization, ECQ"] = PeakAboveMb(() => Requantize(false)),
            ["re-quantization, ECQx (β search)"] = PeakAboveMb(() => Requantize(true)),
        };
        var (rssNow, _) = MemoryStagesBench.Memory();
        double sum = fwdBwd + adams + relevance + update + ecqx;
        Console.WriteLine($"{modelName}, batch {batch}, 2 threads, {repeats} repeats (median ms; × = per plain FP step of {F(fp)} ms; " +
            $"peak = MB the piece adds above the RSS it starts at, {F(rssNow)} MB now with model, gradients, both Adam states, background copies, relevance average)");
        foreach (var (name, ms) in new[] { ("forward+backward", fwdBwd), ("two Adam steps (background, model)", adams),
                     ("Adam steps of an ECQ step", ecqAdams), ("relevance pass (lrp, eval mode)", relevance),
                     ("relevance running average", update), ("re-quantization, ECQ", ecq), ("re-quantization, ECQx (β search)", ecqx) })
            Console.WriteLine($"  {name,-38} {F(ms),8} ms  {(ms / fp).ToString("F3", CultureInfo.InvariantCulture)}×  peak +{F(peaks[name])} MB");
        // What no re-quantization or optimizer work can go below: the training step's forward and backward, and (ECQx) the
        // relevance pass. With the default composite's z⁺ rule a convolution costs four convolution passes in the relevance
        // pass (the forward, the forward with W⁺, the input gradient of that, the weight gradient) against three in training.
        Console.WriteLine($"  floor of an ECQx step (forward+backward + relevance pass, both required) {F(fwdBwd + relevance)} ms = " +
            $"{((fwdBwd + relevance) / fp).ToString("F3", CultureInfo.InvariantCulture)}×; of an ECQ step (forward+backward + its Adam steps) " +
            $"{F(fwdBwd + ecqAdams)} ms = {((fwdBwd + ecqAdams) / fp).ToString("F3", CultureInfo.InvariantCulture)}×");
        double ecqSum = fwdBwd + ecqAdams + ecq;
        Console.WriteLine($"  sum of an ECQx step's parts {F(sum)} ms = {(sum / fp).ToString("F3", CultureInfo.InvariantCulture)}× (target ≤ 2.0×); an ECQ step's {F(ecqSum)} ms = {(ecqSum / fp).ToString("F3", CultureInfo.InvariantCulture)}× (target ≤ 1.05×)");
    }
}
