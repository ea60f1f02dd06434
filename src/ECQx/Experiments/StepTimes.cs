using System.Globalization;
using System.Reflection;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>
/// Measured wall times (seconds) of the parts a sweep step is made of, for one model on one machine, device and thread
/// count (<see cref="StepTimeKey"/>). <see cref="SweepEstimate"/> adds them up into the time of each baseline and run.
/// </summary>
/// <param name="FullPrecisionStep">One full-precision training batch (forward, backward, Adam step, data).</param>
/// <param name="EcqStep">One ECQ quantization-aware batch (the step of a full-precision batch, the background step, re-quantization).</param>
/// <param name="EcqxStep">One ECQx batch (an ECQ batch plus the relevance pass of the sweep's relevance method).</param>
/// <param name="Evaluation">One plain pass over the test set (a baseline's final accuracy, a decoded model's accuracy).</param>
/// <param name="FullPrecisionEpochEnd">The end of a full-precision epoch: test evaluation, metrics row, best model and checkpoint.</param>
/// <param name="QuantizedEpochEnd">The end of a quantization-aware epoch: test evaluation, metrics row with per-layer statistics, best model and checkpoint.</param>
/// <param name="RunSetup">Starting a run: model built, baseline weights loaded, quantizer and trainer created.</param>
/// <param name="InitialQuantization">Codebooks fixed, the one-shot ECQ assignment (§c.3 steps 3–4), its test evaluation and checkpoint.</param>
/// <param name="Coding">A finished run's files: quantized model, <c>.ecqx</c>, NNR, read back and the decoded model built (its evaluation excluded).</param>
/// <param name="MeasuredAt">When the times were measured (UTC).</param>
public sealed record StepTimes(double FullPrecisionStep, double EcqStep, double EcqxStep, double Evaluation, double FullPrecisionEpochEnd,
    double QuantizedEpochEnd, double RunSetup, double InitialQuantization, double Coding, DateTimeOffset MeasuredAt)
{
    /// <summary>The seconds of one training batch of <paramref name="method"/> (<c>ECQ</c> or <c>ECQx</c>).</summary>
    public double QuantizedStep(string method) => method switch
    {
        "ECQ" => EcqStep,
        "ECQx" => EcqxStep,
        _ => throw new ArgumentException($"unknown method '{method}' (ECQ or ECQx)"),
    };

    /// <summary>The first field that is not a finite number ≥ 0 (training steps &gt; 0), as "name = value"; null when all are valid.</summary>
    public string? Invalid()
    {
        foreach (var (name, value, positive) in new[]
                 {
                     ("fullPrecisionStep", FullPrecisionStep, true), ("ecqStep", EcqStep, true), ("ecqxStep", EcqxStep, true),
                     ("evaluation", Evaluation, false), ("fullPrecisionEpochEnd", FullPrecisionEpochEnd, false),
                     ("quantizedEpochEnd", QuantizedEpochEnd, false), ("runSetup", RunSetup, false),
                     ("initialQuantization", InitialQuantization, false), ("coding", Coding, false),
                 })
            if (!double.IsFinite(value) || value < 0 || (positive && value == 0))
                return $"{name} = {value.ToString("R", CultureInfo.InvariantCulture)}";
        return null;
    }
}

/// <summary>
/// What the step times of one model depend on: the machine, the device, torch's thread count, the model, the batch size
/// and shape of an example, the bit width the quantized steps were timed at, the relevance method and the TorchSharp
/// version. A cached calibration is used only for an equal key.
/// </summary>
/// <param name="Machine">Processor count and CPU model (<see cref="ThisMachine"/>).</param>
/// <param name="Device">Device name (<see cref="DeviceName"/>), e.g. <c>cpu</c> or <c>cuda:0</c>.</param>
/// <param name="Threads">torch intra-op threads.</param>
/// <param name="Model">Model name.</param>
/// <param name="BatchSize">Training batch size.</param>
/// <param name="InputShape">Shape of one example, e.g. <c>1x28x28</c>.</param>
/// <param name="Bits">Bit width of the timed quantized steps (the sweep's largest).</param>
/// <param name="Relevance">The ECQx relevance method.</param>
/// <param name="TorchSharp">TorchSharp's version.</param>
public sealed record StepTimeKey(string Machine, string Device, int Threads, string Model, int BatchSize, string InputShape, int Bits,
    string Relevance, string TorchSharp)
{
    /// <summary>"N × CPU model" from the processor count and the first <c>model name</c> of <c>/proc/cpuinfo</c> (when present).</summary>
    public static string ThisMachine()
    {
        string cpu = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null && line.IndexOf(':') is int colon and >= 0 && line[(colon + 1)..].Trim() is { Length: > 0 } model) cpu = model;
            }
        }
        catch (IOException) { } // an unreadable /proc/cpuinfo leaves the architecture
        catch (UnauthorizedAccessException) { }
        return $"{Environment.ProcessorCount} × {cpu}";
    }

    /// <summary>The device a <c>--device</c> value names, without touching CUDA for explicit names: <c>cpu</c>, <c>cuda:N</c>
    /// (<c>cuda</c> is <c>cuda:0</c>); <c>auto</c> is resolved on this machine.</summary>
    public static string DeviceName(string setting)
    {
        string n = (setting ?? "cpu").Trim().ToLowerInvariant();
        if (n == "auto")
        {
            TorchRuntime.EnsureLoaded();
            n = torch.cuda.is_available() ? "cuda" : "cpu";
        }
        return n == "cuda" ? "cuda:0" : n;
    }

    /// <summary>The TorchSharp version in use (its informational version, else the assembly version).</summary>
    public static string TorchSharpVersion()
    {
        var assembly = typeof(torch).Assembly;
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return version?.Split('+')[0] ?? assembly.GetName().Version?.ToString() ?? "unknown";
    }

    /// <summary>An example's shape as <c>AxBxC</c>.</summary>
    public static string Shape(IEnumerable<long> shape) => string.Join("x", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
}
