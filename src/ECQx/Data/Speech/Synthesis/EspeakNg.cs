using System.Buffers.Binary;

namespace ECQx.Data.Speech.Synthesis;

/// <summary>Thrown when the espeak-ng speech synthesizer, which the synthesized spoken-word corpus needs, is not installed.</summary>
public sealed class SpeechSynthesizerMissingException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public SpeechSynthesizerMissingException(string message) : base(message) { }
}

/// <summary>One word spoken by espeak-ng: the text, the voice (<c>en-us+m3</c>: language voice + variant), speed in words per
/// minute (<c>-s</c>), pitch 0–99 (<c>-p</c>) and amplitude 0–200 (<c>-a</c>).</summary>
public sealed record EspeakRequest(string Text, string Voice, int WordsPerMinute, int Pitch, int Amplitude = 100);

/// <summary>
/// Runs the <c>espeak-ng</c> command-line synthesizer (Debian/Ubuntu package <c>espeak-ng</c>) and reads the WAV it writes to
/// standard output (mono 16-bit PCM, 22,050 Hz for its built-in voices).
/// </summary>
public static class EspeakNg
{
    /// <summary>The executable's name, and the name of the Debian/Ubuntu package that installs it.</summary>
    public const string ExecutableName = "espeak-ng";

    /// <summary>How long one synthesis may take before it is stopped.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The full path of espeak-ng in the folders of <paramref name="searchPath"/> (a PATH-style list; null uses the
    /// <c>PATH</c> environment variable), or null when it is not there.</summary>
    public static string? Find(string? searchPath = null)
    {
        searchPath ??= Environment.GetEnvironmentVariable("PATH") ?? "";
        string[] names = OperatingSystem.IsWindows() ? new[] { ExecutableName + ".exe" } : new[] { ExecutableName };
        foreach (string dir in searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            foreach (string name in names)
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>Like <see cref="Find"/>, but a missing espeak-ng is a <see cref="SpeechSynthesizerMissingException"/> that names
    /// the package to install and the folders searched.</summary>
    public static string Require(string? searchPath = null) =>
        Find(searchPath) ?? throw new SpeechSynthesizerMissingException(
            $"The synthesized Speech Commands corpus is spoken by espeak-ng, which was not found on the PATH ({searchPath ?? Environment.GetEnvironmentVariable("PATH")}). " +
            "Install the package espeak-ng (Debian/Ubuntu: sudo apt-get install -y espeak-ng; Fedora: dnf install espeak-ng; macOS: brew install espeak-ng), " +
            "or give the real dataset with --data-dir.");

    /// <summary>The version line espeak-ng prints (e.g. <c>eSpeak NG text-to-speech: 1.51 …</c>).</summary>
    public static string Version(string executable)
    {
        var (stdout, _) = Run(executable, new[] { "--version" }, "espeak-ng --version");
        return System.Text.Encoding.UTF8.GetString(stdout).Split('\n')[0].Trim();
    }

    /// <summary>Speaks one request and returns its samples and sample rate. A failing or silent synthesis is an
    /// <see cref="InvalidOperationException"/> naming the command and what espeak-ng printed.</summary>
    public static short[] Speak(string executable, EspeakRequest request, out int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(request);
        var args = new[]
        {
            "-v", request.Voice, "-s", request.WordsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-p", request.Pitch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-a", request.Amplitude.ToString(System.Globalization.CultureInfo.InvariantCulture), "--stdout", request.Text,
        };
        string command = "espeak-ng " + string.Join(' ', args);
        var (wav, stderr) = Run(executable, args, command);
        short[] samples = ParseStreamedWav(wav, command, out sampleRate);
        if (samples.Length == 0 || stderr.Length > 0 && stderr.Contains("voice", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"`{command}` produced no speech{(stderr.Length > 0 ? ": " + stderr.Trim() : "")}");
        return samples;
    }

    /// <summary>
    /// Parses the WAV espeak-ng streams to standard output. Streaming, it cannot know the length up front and declares the
    /// maximal RIFF and <c>data</c> sizes; those are set to what was received before the WAV is read with <see cref="WavReader.Parse"/>.
    /// </summary>
    public static short[] ParseStreamedWav(byte[] wav, string what, out int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(wav);
        if (wav.Length >= 44 && wav.AsSpan(36, 4).SequenceEqual("data"u8))
        {
            wav = (byte[])wav.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(4), (uint)(wav.Length - 8));
            BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(40), (uint)(wav.Length - 44));
        }
        return WavReader.Parse(wav, what, expectedSampleRate: null, out sampleRate);
    }

    private static (byte[] Stdout, string Stderr) Run(string executable, IEnumerable<string> args, string command)
    {
        var result = IO.ExternalProcess.Run(executable, args, Timeout, command: command);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"`{command}` failed with exit code {result.ExitCode}: {result.StdErr.Trim()}");
        return (result.StdOut, result.StdErr);
    }
}
