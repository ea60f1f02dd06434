using System.Globalization;
using System.Reflection;
using ECQx.Experiments;

namespace ECQx.Cli.Cluster;

/// <summary>
/// The <c>ecqx reproduce</c> command line that repeats an invocation elsewhere (a Slurm job on a compute node): this
/// process's executable by absolute path and the experiment options of its <see cref="ExperimentSettings"/>, with the
/// results and data paths made absolute so the command works from any directory of a shared filesystem.
/// </summary>
internal static class ReproduceCommandLine
{
    /// <summary>
    /// The command that starts this <c>ecqx</c>: the apphost (<c>ECQx.Cli</c>) when this process is it, otherwise the
    /// <c>dotnet</c> host and the absolute path of <c>ECQx.Cli.dll</c>.
    /// </summary>
    public static IReadOnlyList<string> CurrentExecutable()
    {
        string? processPath = Environment.ProcessPath;
        string cliDll = typeof(Program).Assembly.Location;
        if (processPath is not null && Path.GetFileName(processPath) is "ECQx.Cli" or "ECQx.Cli.exe" && Assembly.GetEntryAssembly() == typeof(Program).Assembly)
            return new[] { Path.GetFullPath(processPath) };
        return new[] { DotnetHost(processPath), Path.GetFullPath(cliDll) };
    }

    /// <summary>The absolute path of the <c>dotnet</c> host running this process, or found via DOTNET_HOST_PATH or PATH.</summary>
    private static string DotnetHost(string? processPath)
    {
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet") return Path.GetFullPath(processPath);
        string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath)) return hostPath;
        return ExecutableSearch.Find("dotnet") ?? "dotnet";
    }

    /// <summary>
    /// <c>reproduce EXP</c> and the options of <paramref name="s"/> that were set (unset ones keep meaning "the
    /// experiment's default"), plus <c>--run-id</c> pinned to <paramref name="runId"/> so every job writes the same
    /// folder. Threads are not included (the Slurm scripts set them from the job's CPUs unless given).
    /// </summary>
    public static List<string> ExperimentArguments(ExperimentSettings s, string runId)
    {
        var a = new List<string> { "reproduce", s.Experiment };
        if (s.Quick) a.Add("--quick");
        a.AddRange(new[] { "--out-dir", Path.GetFullPath(s.OutputRoot), "--run-id", runId, "--device", s.Device, "--seed", s.Seed.ToString(CultureInfo.InvariantCulture) });
        if (s.Bits is not null) a.AddRange(new[] { "--bits", string.Join(',', s.Bits.Select(b => b.ToString(CultureInfo.InvariantCulture))) });
        if (s.Lambdas is not null) a.AddRange(new[] { "--lambdas", string.Join(',', s.Lambdas.Select(l => l.ToString("R", CultureInfo.InvariantCulture))) });
        if (s.Epochs is int e) a.AddRange(new[] { "--epochs", e.ToString(CultureInfo.InvariantCulture) });
        if (s.BaselineEpochs is int be) a.AddRange(new[] { "--baseline-epochs", be.ToString(CultureInfo.InvariantCulture) });
        if (s.MaxBatchesPerEpoch is int mb) a.AddRange(new[] { "--max-batches", mb.ToString(CultureInfo.InvariantCulture) });
        a.AddRange(new[] { "--relevance", s.Relevance, "--methods", string.Join(',', s.Methods) });
        if (s.Models is not null) a.AddRange(new[] { "--models", string.Join(',', s.Models) });
        if (s.DataDirectory is not null) a.AddRange(new[] { "--data-dir", Path.GetFullPath(s.DataDirectory) });
        if (s.DataStoreDirectory is not null) a.AddRange(new[] { "--data-store", Path.GetFullPath(s.DataStoreDirectory) });
        if (s.Offline) a.Add("--offline");
        if (s.ClaimLease is TimeSpan lease) a.AddRange(new[] { "--claim-lease", lease.TotalSeconds.ToString("R", CultureInfo.InvariantCulture) });
        if (s.NnCodecDirectory is not null) a.AddRange(new[] { "--nncodec", Path.GetFullPath(s.NnCodecDirectory) });
        return a;
    }

    /// <summary>Quotes <paramref name="arg"/> for a POSIX shell (single quotes; a single quote becomes <c>'\''</c>).</summary>
    public static string ShellQuote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}

/// <summary>Finds executables on PATH.</summary>
internal static class ExecutableSearch
{
    /// <summary>The absolute path of <paramref name="name"/> in a directory of PATH, or null when none has it.</summary>
    public static string? Find(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
                return Path.GetFullPath(candidate);
        }
        return null;
    }
}
