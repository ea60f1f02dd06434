using System.Globalization;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>How <see cref="ExperimentRunner.Plan(PlanTiming?, CancellationToken)"/> estimates the sweep's wall time.</summary>
/// <param name="Cache">The step-time cache to read (and, when calibrating, to extend and save).</param>
/// <param name="Calibrate">Measure the models the cache lacks; false only looks them up.</param>
/// <param name="Threads">The torch thread count the steps will run with when it is not this process's (e.g. Slurm jobs);
/// only for looking up (with <paramref name="Calibrate"/> it must be null or this process's count).</param>
public sealed record PlanTiming(StepTimeCache Cache, bool Calibrate, int? Threads = null);

/// <summary>Looks up (and calibrates) the step times of an opened sweep's models and turns them into a <see cref="SweepEstimate"/>.</summary>
internal static class SweepTiming
{
    /// <summary>
    /// The estimate of <paramref name="sweep"/>, or null with <paramref name="note"/> saying which calibration is missing
    /// and how to get it. Calibrates (<see cref="StepTimeCalibration"/>) on the sweep's data and device only when
    /// <see cref="PlanTiming.Calibrate"/>, and saves each new entry to the cache at once.
    /// </summary>
    public static SweepEstimate? Estimate(OpenedSweep sweep, PlanTiming timing, Action<string> log, CancellationToken ct, out string? note)
    {
        var config = sweep.Config;
        int threads = timing.Threads ?? torch.get_num_threads();
        if (timing.Calibrate && threads != torch.get_num_threads())
            throw new ArgumentException($"cannot calibrate for {threads} thread(s) in a process running {torch.get_num_threads()}; pass --threads {threads}");
        var target = new CalibrationTarget(StepTimeKey.ThisMachine(), StepTimeKey.DeviceName(config.Device), threads);
        int bits = config.Bits.Max();
        string shape = StepTimeKey.Shape(sweep.Data.Splits.Train.InputShape);
        string torchSharp = StepTimeKey.TorchSharpVersion();
        var times = new Dictionary<string, StepTimes>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (string model in config.Models)
        {
            var key = new StepTimeKey(target.Machine, target.Device, threads, model, config.BatchSize, shape, bits, config.Relevance, torchSharp);
            if (timing.Cache.Find(key) is StepTimes cached)
            {
                log($"step times of {model}: from the cache {timing.Cache.Path} (measured {SweepEstimate.Date(cached.MeasuredAt)})");
                times[model] = cached;
            }
            else if (timing.Calibrate)
            {
                log($"calibrating {model} on {target.Device}, {threads} thread(s), batch {config.BatchSize}, {bits} bit ({target.Machine})");
                var measured = StepTimeCalibration.Measure(sweep, model, bits, log, ct);
                times[model] = measured;
                log("calibrated " + StepTimeCalibration.Describe(model, measured));
                timing.Cache.Set(key, measured);
                try
                {
                    timing.Cache.Save();
                }
                catch (IOException e)
                {
                    log($"warning: could not save the step-time cache ({e.Message}); the next --plan calibrates again");
                }
            }
            else missing.Add(model);
        }
        if (missing.Count > 0)
        {
            note = $"no calibration of {string.Join(", ", missing)} for {target.Device}, {threads} thread(s), batch {config.BatchSize}, {bits} bit " +
                   $"on this machine ({target.Machine}) in {timing.Cache.Path}; calibrate with the same command and --plan" +
                   (timing.Threads is int t ? $" --threads {t.ToString(CultureInfo.InvariantCulture)}" : "") + " (without --no-calibrate)";
            return null;
        }
        note = null;
        return SweepEstimate.Create(sweep.Plan, config, times, target);
    }
}
