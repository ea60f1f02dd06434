using System.Diagnostics;
using System.Globalization;
using ECQx.IO;
using ECQx.Models;
using ECQx.Quantization;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>
/// Measures the <see cref="StepTimes"/> of one model of an opened sweep by running a few real steps of the real
/// <see cref="QuantizationAwareTrainer"/> on the sweep's own data and device, in a temporary folder that is removed
/// afterwards: a full-precision trainer, then an ECQ and an ECQx trainer starting from its weights (the sweep's largest
/// bit width and Λ, its relevance method), then the coding of the ECQ trainer's result as a sweep run codes it.
/// </summary>
/// <remarks>
/// Each trainer runs one epoch of <see cref="WarmupSteps"/> + <see cref="TimedSteps"/> batches. A step's time is the
/// median of the timed batches (the interval between two <see cref="QuantizationAwareTrainer.BatchCompleted"/> events,
/// the data included); the first batch warms up and is discarded. The end of an epoch (test evaluation, metrics row,
/// best model, checkpoint) is the time from the last batch to the end of <see cref="QuantizationAwareTrainer.Run"/>.
/// A training split of one batch times that batch instead.
/// <para>A short full-precision step (a small model) is mostly managed code around few native calls, whose first runs are
/// slower than the steady state of a baseline's many batches (JIT tiers): when the first timing gives a step under
/// <see cref="WarmupSeconds"/>, the full-precision trainer runs again with warm-up batches worth about that long (at most
/// <see cref="MaxWarmupSteps"/>) and that timing counts. The quantized trainers warm up with as many batches as that
/// full-precision warm-up (<see cref="WarmupFor"/>), so a small model's quantized steps are timed in their steady
/// state too: with one warm-up batch the primer's ECQ step was timed at 12.2 ms against ≈ 5.5 ms in its runs (each ECQ
/// run estimated at 2× its time). A large model's steps stay at one warm-up batch, its initial quantization being the
/// dear part of a calibration.</para>
/// </remarks>
internal static class StepTimeCalibration
{
    /// <summary>Batches run and discarded before timing.</summary>
    public const int WarmupSteps = 1;

    /// <summary>Warm-up batches of a second full-precision timing, at most.</summary>
    public const int MaxWarmupSteps = 40;

    /// <summary>Seconds of full-precision batches that a second full-precision timing warms up with (see the remarks).</summary>
    public const double WarmupSeconds = 0.5;

    /// <summary>Batches timed per step kind.</summary>
    public const int TimedSteps = 5;

    /// <summary>Measures <paramref name="model"/> in <paramref name="sweep"/>, the quantized steps at <paramref name="bits"/> bit.</summary>
    public static StepTimes Measure(OpenedSweep sweep, string model, int bits, Action<string> log, CancellationToken ct)
    {
        string temp = Directory.CreateTempSubdirectory("ecqx-calibration-").FullName;
        try
        {
            var config = sweep.Config;
            double lambda = config.Lambdas.Count > 0 ? config.Lambdas.Max() : 0;
            string weights = Path.Combine(temp, "baseline.safetensors");
            log($"calibrating {model}: {WarmupSteps} + {TimedSteps} full-precision steps, a test evaluation and a checkpoint");
            var (fpStep, fpEpochEnd, evaluation) = FullPrecision(sweep, model, WarmupSteps, Path.Combine(temp, "fp"), weights, ct);
            int warmup = WarmupFor(fpStep);
            if (warmup > WarmupSteps)
            {
                log($"calibrating {model}: short full-precision steps, timed again after {warmup} warm-up steps");
                (fpStep, fpEpochEnd, evaluation) = FullPrecision(sweep, model, warmup, Path.Combine(temp, "fp-again"), weights, ct);
            }
            log($"calibrating {model}: {warmup} + {TimedSteps} ECQ steps at {bits} bit, initial quantization, coding");
            var ecq = Quantized(sweep, model, weights, bits, lambda, relevance: false, warmup, Path.Combine(temp, "ecq"), ct);
            log($"calibrating {model}: {warmup} + {TimedSteps} ECQx steps ({config.Relevance} relevance)");
            var ecqx = Quantized(sweep, model, weights, bits, lambda, relevance: true, warmup, Path.Combine(temp, "ecqx"), ct);
            return new StepTimes(fpStep, ecq.Step, ecqx.Step, evaluation, fpEpochEnd, ecq.EpochEnd, ecq.Setup, ecq.Initial, ecq.Coding,
                DateTimeOffset.UtcNow);
        }
        finally
        {
            NativeHeap.Release();
            try { Directory.Delete(temp, recursive: true); }
            catch (IOException e) { log($"warning: could not remove the calibration folder {temp}: {e.Message}"); }
        }
    }

    /// <summary>
    /// Warm-up batches before timing, from the first full-precision step time: enough for about <see cref="WarmupSeconds"/>
    /// of full-precision batches, between <see cref="WarmupSteps"/> and <see cref="MaxWarmupSteps"/>.
    /// </summary>
    internal static int WarmupFor(double fullPrecisionStepSeconds) =>
        !(fullPrecisionStepSeconds > 0) ? MaxWarmupSteps
        : (int)Math.Clamp(Math.Ceiling(WarmupSeconds / fullPrecisionStepSeconds), WarmupSteps, MaxWarmupSteps);

    /// <summary>Full-precision steps; saves the weights to <paramref name="weightsFile"/> for the quantized trainers and times one plain test evaluation.</summary>
    private static (double Step, double EpochEnd, double Evaluation) FullPrecision(OpenedSweep sweep, string modelName, int warmup, string dir,
        string weightsFile, CancellationToken ct)
    {
        using var scope = torch.NewDisposeScope();
        using var model = ModelZoo.Create(modelName, sweep.Data.Classes, sweep.Device, sweep.Config.Seed);
        var clock = new TrainerClock();
        using (var trainer = new QuantizationAwareTrainer(model, sweep.Data.Splits, Options(sweep, dir, warmup)))
            clock.Run(trainer, ct);
        SafeTensors.Save(weightsFile, model.state_dict());
        var sw = Stopwatch.StartNew();
        SweepSteps.TestAccuracy(model, sweep.Data, sweep.Device);
        return (clock.StepSeconds(), clock.EpochEndSeconds(), sw.Elapsed.TotalSeconds);
    }

    private sealed record QuantizedTimes(double Setup, double Initial, double Step, double EpochEnd, double Coding);

    /// <summary>An ECQ (or ECQx) trainer from <paramref name="weightsFile"/>: setup, initial quantization, steps, epoch end and (ECQ) the coding.</summary>
    private static QuantizedTimes Quantized(OpenedSweep sweep, string modelName, string weightsFile, int bits, double lambda, bool relevance,
        int warmup, string dir, CancellationToken ct)
    {
        var config = sweep.Config;
        using var scope = torch.NewDisposeScope();
        var sw = Stopwatch.StartNew();
        using var model = ModelZoo.Create(modelName, sweep.Data.Classes, sweep.Device, config.Seed);
        StateDictLoader.LoadSafeTensors(model, weightsFile);
        model.to(sweep.Device);
        var settings = new EcqQuantizerSettings { Bits = bits, Ecq = EcqOptions.Default with { Lambda = lambda }, Ecqx = config.EcqxOptions };
        using var quantizer = new EcqWeightQuantizer(settings);
        var method = relevance ? RelevanceMethods.Create(config.Relevance, new RelevanceOptions { Seed = config.Seed }) : null;
        using var disposeMethod = method as IDisposable;
        using var trainer = new QuantizationAwareTrainer(model, sweep.Data.Splits, Options(sweep, dir, warmup), quantizer, method);
        double setup = sw.Elapsed.TotalSeconds;
        var clock = new TrainerClock();
        clock.Run(trainer, ct);
        double coding = 0;
        if (!relevance)
        {
            sw.Restart();
            string ecqxPath = Path.Combine(dir, "model" + ECQx.Coding.EcqxModelFile.Extension);
            using (var quantized = trainer.ToQuantizedModel())
                SweepSteps.WriteCoded(quantized, Path.Combine(dir, "quantized.safetensors"), ecqxPath);
            var (contents, _, _) = SweepSteps.ReadBackCoded(ecqxPath);
            using (SweepSteps.DecodedModel(sweep, modelName, contents, ecqxPath)) { }
            coding = sw.Elapsed.TotalSeconds;
        }
        return new QuantizedTimes(setup, clock.InitialSeconds(), clock.StepSeconds(), clock.EpochEndSeconds(), coding);
    }

    private static TrainerOptions Options(OpenedSweep sweep, string dir, int warmup) =>
        SweepSteps.TrainerOptions(sweep.Config, sweep.Device, dir, epochs: 1, maxBatches: warmup + TimedSteps) with { Resume = false };

    /// <summary>Times of one calibration trainer's events, in seconds since the clock was made.</summary>
    private sealed class TrainerClock
    {
        private readonly Stopwatch _sw = Stopwatch.StartNew();
        private readonly List<double> _batches = new();
        private double _start, _end;
        private double? _initialCheckpoint;

        private double Now => _sw.Elapsed.TotalSeconds;

        public void Run(QuantizationAwareTrainer trainer, CancellationToken ct)
        {
            bool initialDone = false;
            trainer.BatchCompleted += (_, _) => _batches.Add(Now);
            trainer.EpochCompleted += (_, m) => initialDone |= m.Phase == TrainingPhase.Initial;
            // The checkpoint after the initial quantization ends it; the epoch's batches follow.
            trainer.CheckpointSaved += (_, _) => { if (initialDone && _batches.Count == 0) _initialCheckpoint ??= Now; };
            _start = Now;
            trainer.Run(ct);
            _end = Now;
            if (_batches.Count == 0) throw new InvalidOperationException("the calibration trainer ran no batch: the training split is empty");
        }

        /// <summary>Median of the last <see cref="TimedSteps"/> batches (after the warm-up); the only batch when there is one.</summary>
        public double StepSeconds()
        {
            if (_batches.Count == 1) return _batches[0] - (_initialCheckpoint ?? _start);
            var steps = _batches.Zip(_batches.Skip(1), (a, b) => b - a).TakeLast(TimedSteps).Order().ToArray();
            return steps[steps.Length / 2];
        }

        /// <summary>From the last batch to the end of the run: evaluation, metrics row, best model, checkpoint.</summary>
        public double EpochEndSeconds() => _end - _batches[^1];

        /// <summary>From the start of the run to the checkpoint after the initial quantization (its evaluation included).</summary>
        public double InitialSeconds() => (_initialCheckpoint ?? throw new InvalidOperationException("the calibration trainer wrote no checkpoint after its initial quantization")) - _start;
    }

    /// <summary>One line summing up <paramref name="t"/> for the log.</summary>
    public static string Describe(string model, StepTimes t)
    {
        static string Ms(double s) => (1000 * s).ToString(s < 0.01 ? "F2" : "F1", CultureInfo.InvariantCulture) + " ms";
        return $"{model}: FP step {Ms(t.FullPrecisionStep)}, ECQ step {Ms(t.EcqStep)}, ECQx step {Ms(t.EcqxStep)}, " +
               $"test evaluation {Ms(t.Evaluation)}, epoch end FP {Ms(t.FullPrecisionEpochEnd)} / quantized {Ms(t.QuantizedEpochEnd)}, " +
               $"run setup {Ms(t.RunSetup)}, initial quantization {Ms(t.InitialQuantization)}, coding {Ms(t.Coding)}";
    }
}
