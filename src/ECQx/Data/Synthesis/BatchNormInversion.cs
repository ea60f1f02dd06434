using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Synthesis;

/// <summary>
/// Data-free image synthesis from a trained network with batch norm (DeepInversion, Yin et al. 2020; ZeroQ, Cai et al.
/// 2020): a batch of images, started from Gaussian noise in the model's normalised input space, is optimised with Adam on
/// its pixels so that
/// <list type="bullet">
/// <item>at every batch norm the batch mean and variance of the layer's input match the layer's running mean and variance
/// (<see cref="BatchNormStatistics"/>): the images then look, to the network, statistically like its training data;</item>
/// <item>each image's cross-entropy to its target class is small (the class term of DeepInversion);</item>
/// <item>total variation and the L2 norm stay small (image priors).</item>
/// </list>
/// Before every step the batch is shifted cyclically by a random jitter and flipped at random, so the images do not
/// overfit single pixel positions; after every step the pixels are clipped to the valid range [0, 1]. The learning rate
/// decays on a cosine. Everything is drawn from one seeded generator, so a run is repeatable at a fixed thread count.
/// </summary>
public static class BatchNormInversion
{
    /// <summary>
    /// Synthesises one image per entry of <paramref name="targets"/> (int64 [N] class indices) for <paramref name="model"/>
    /// (a layer-graph model with batch norms; put in eval mode, its parameters are left unchanged) and returns them as
    /// float32 pixels in [0, 1], <c>[N, C, H, W]</c> with <paramref name="imageShape"/> = (C, H, W), on the model's device.
    /// All N images are optimised as one batch (<see cref="InversionOptions.BatchSize"/> is for callers that split work).
    /// </summary>
    public static Tensor Synthesize(nn.Module<Tensor, Tensor> model, Tensor targets, long[] imageShape, ImageNormalization normalization,
        InversionOptions options, ulong seed, IProgress<InversionProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(imageShape);
        ArgumentNullException.ThrowIfNull(normalization);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (imageShape.Length != 3 || imageShape.Any(d => d < 1)) throw new ArgumentException($"image shape must be (C, H, W) with positive sizes, got ({string.Join(", ", imageShape)})", nameof(imageShape));
        if (targets.ndim != 1 || targets.dtype != int64 || targets.shape[0] < 2)
            throw new ArgumentException($"targets must be int64 [N] with N ≥ 2 (batch statistics), got {targets.dtype} [{string.Join(", ", targets.shape)}]", nameof(targets));
        normalization.Validate(imageShape[0]);

        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        bool wasTraining = model.training;
        var parameters = model.parameters().ToList();
        var requiredGrad = parameters.Select(p => p.requires_grad).ToList();
        model.eval();
        foreach (var p in parameters) p.requires_grad = false;
        try
        {
            using var outer = NewDisposeScope();
            long n = targets.shape[0];
            var y = targets.to(device);
            var mean = tensor(normalization.Mean, dtype: float32, device: device).reshape(1, -1, 1, 1);
            var std = tensor(normalization.Std, dtype: float32, device: device).reshape(1, -1, 1, 1);
            var lower = mean.neg().div(std);                 // pixel 0 in the normalised space
            var upper = mean.neg().add(1).div(std);          // pixel 1
            using var generator = new Generator(seed & 0x7FFF_FFFF_FFFF_FFFFUL, CPU);
            var x = new TorchSharp.Modules.Parameter(randn(new[] { n }.Concat(imageShape).ToArray(), generator: generator).to(device), requires_grad: true);
            using var optimizer = optim.Adam(new[] { x }, lr: options.LearningRate);
            var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, options.Iterations);
            var firstWeight = options.FirstBatchNormMultiplier;
            for (int step = 1; step <= options.Iterations; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var draws = rand(new long[] { 3 }, generator: generator).data<float>().ToArray();
                long dx = (long)Math.Floor(draws[0] * (2 * options.Jitter + 1)) - options.Jitter;
                long dy = (long)Math.Floor(draws[1] * (2 * options.Jitter + 1)) - options.Jitter;
                var input = options.Jitter > 0 ? x.roll(new[] { dy, dx }, new long[] { 2, 3 }) : x;
                if (options.RandomFlip && draws[2] < 0.5f) input = input.flip(3);
                var (logits, distances) = BatchNormStatistics.Forward(model, input);
                var bn = distances[0].mul(firstWeight);
                for (int l = 1; l < distances.Count; l++) bn = bn.add(distances[l]);
                var ce = nn.functional.cross_entropy(logits, y);
                var tv = x[.., .., 1.., ..].sub(x[.., .., ..^1, ..]).pow(2).mean().add(x[.., .., .., 1..].sub(x[.., .., .., ..^1]).pow(2).mean());
                var loss = bn.mul(options.BatchNormWeight).add(ce.mul(options.CrossEntropyWeight))
                    .add(tv.mul(options.TotalVariationWeight)).add(x.pow(2).mean().mul(options.L2Weight));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                schedule.step();
                using (no_grad()) x.copy_(x.maximum(lower).minimum(upper));
                if (progress is not null && (step % options.ReportEvery == 0 || step == options.Iterations))
                {
                    using var noGrad = no_grad();
                    double unweighted = distances.Aggregate((a, b) => a.add(b)).item<float>();
                    double onTarget = logits.argmax(1).eq(y).to_type(float32).mean().item<float>();
                    progress.Report(new InversionProgress(step, options.Iterations, unweighted, ce.item<float>(), onTarget));
                }
            }
            using (no_grad())
                return x.detach().mul(std).add(mean).clamp(0, 1).MoveToOuterDisposeScope();
        }
        finally
        {
            for (int i = 0; i < parameters.Count; i++) parameters[i].requires_grad = requiredGrad[i];
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// The model's top-1 predictions (int64 [N], CPU) for images given as 8-bit pixels <paramref name="pixels"/>
    /// (uint8 or float 0..255, <c>[N, C, H, W]</c>), normalised with <paramref name="normalization"/> exactly as the dataset
    /// loaders do: the labels that make accuracy on synthesized images the top-1 agreement with the model.
    /// </summary>
    public static Tensor Predict(nn.Module<Tensor, Tensor> model, Tensor pixels, ImageNormalization normalization, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(normalization);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var parts = new List<Tensor>();
            for (long start = 0; start < pixels.shape[0]; start += batchSize)
            {
                long count = Math.Min(batchSize, pixels.shape[0] - start);
                var batch = normalization.Apply(pixels.narrow(0, start, count).to_type(float32).to(device));
                parts.Add(model.call(batch).argmax(1).cpu());
            }
            return cat(parts, 0).MoveToOuterDisposeScope();
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
