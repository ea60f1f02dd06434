using System.Globalization;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// Limits of the kernel against careless or hostile clients: the largest message it reads (checked while
/// receiving, before the signature is verified) and how many signatures it remembers to refuse replays.
/// </summary>
public sealed record KernelOptions
{
    /// <summary>The environment variable that sets <see cref="MaxMessageBytes"/> in MiB (what <c>ecqx kernel --max-message-mib</c> also sets).</summary>
    public const string MaxMessageEnvironmentVariable = "ECQX_KERNEL_MAX_MESSAGE_MIB";

    /// <summary>The default cap: 64 MiB, far above any real cell or reply.</summary>
    public const long DefaultMaxMessageBytes = 64L << 20;

    /// <summary>
    /// The largest message (all frames together) the kernel reads; larger ones are discarded unread, logged, and
    /// the client's connection is dropped when one frame alone is over the cap (ZeroMQ's own limit).
    /// </summary>
    public long MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    /// <summary>How many signatures of accepted messages are remembered; a message whose signature is among them is a replay and is dropped.</summary>
    public int SignatureHistory { get; init; } = 1 << 16;

    /// <summary>
    /// The defaults, with <see cref="MaxMessageBytes"/> from <see cref="MaxMessageEnvironmentVariable"/> when it is set.
    /// Throws <see cref="ArgumentException"/> naming the variable and value when it is not a positive number of MiB.
    /// </summary>
    public static KernelOptions FromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(MaxMessageEnvironmentVariable);
        return string.IsNullOrWhiteSpace(value) ? new KernelOptions() : new KernelOptions { MaxMessageBytes = ParseMebibytes(value, MaxMessageEnvironmentVariable) };
    }

    /// <summary>Bytes of a positive (possibly fractional) number of MiB; throws <see cref="ArgumentException"/> naming <paramref name="source"/> otherwise.</summary>
    public static long ParseMebibytes(string value, string source)
    {
        if (!double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double mib) || !double.IsFinite(mib) || mib <= 0 || mib > 1 << 20)
            throw new ArgumentException($"{source} = '{value}' is not a message size in MiB (a number above 0 and at most 1048576, e.g. 64).");
        return Math.Max(1024, (long)(mib * (1 << 20)));
    }
}
