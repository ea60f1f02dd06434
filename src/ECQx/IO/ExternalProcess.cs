using System.Diagnostics;

namespace ECQx.IO;

/// <summary>What a finished external program printed and returned.</summary>
/// <param name="Command">The command line, for messages.</param>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="StdOut">Standard output, as bytes (a program may stream binary data, e.g. a WAV).</param>
/// <param name="StdErr">Standard error.</param>
public sealed record ExternalProcessResult(string Command, int ExitCode, byte[] StdOut, string StdErr)
{
    /// <summary>Standard output as UTF-8 text.</summary>
    public string StdOutText => System.Text.Encoding.UTF8.GetString(StdOut);

    /// <summary>Everything it printed, for error messages.</summary>
    public string Transcript => $"$ {Command}\nexit {ExitCode}\n--- stdout\n{StdOutText}\n--- stderr\n{StdErr}";
}

/// <summary>
/// Runs an external program (espeak-ng, NNCodec's Python driver) to completion: arguments passed as a list (no shell),
/// both output streams read while it runs, and a program that overruns its time is killed with its children.
/// </summary>
public static class ExternalProcess
{
    /// <summary>
    /// Runs <paramref name="executable"/> with <paramref name="args"/>; waits at most <paramref name="timeout"/> (then kills it and
    /// throws <see cref="TimeoutException"/> naming the command). A non-zero exit is returned, not thrown.
    /// </summary>
    public static ExternalProcessResult Run(string executable, IEnumerable<string> args, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, string? command = null)
    {
        ArgumentNullException.ThrowIfNull(executable);
        ArgumentNullException.ThrowIfNull(args);
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, CreateNoWindow = true,
        };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (string a in args) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        command ??= executable + " " + string.Join(' ', info.ArgumentList);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start `{command}`");
        var stderr = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        if (!process.WaitForExit(timeout))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"`{command}` did not finish within {timeout.TotalSeconds:F0} s");
        }
        copy.Wait();
        return new ExternalProcessResult(command, process.ExitCode, stdout.ToArray(), stderr.Result);
    }
}
