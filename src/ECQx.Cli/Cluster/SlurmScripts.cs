using System.Globalization;
using System.Text;
using ECQx.IO;

namespace ECQx.Cli.Cluster;

/// <summary>The sbatch scripts of one sweep, as written into <c>&lt;results folder&gt;/slurm/</c>.</summary>
/// <param name="Directory">The folder holding the scripts.</param>
/// <param name="Baselines">Script of the baseline job (<c>--baselines-only</c>).</param>
/// <param name="Shards">Script of the array job, one task per shard (<c>--shard $SLURM_ARRAY_TASK_ID/N</c>).</param>
/// <param name="Report">Script of the report job (<c>--report</c>).</param>
/// <param name="Submit">Shell script submitting the three with <c>afterok</c> dependencies (for edited scripts).</param>
/// <param name="ShardCount">Number of shards (array tasks).</param>
internal sealed record SlurmScriptSet(string Directory, string Baselines, string Shards, string Report, string Submit, int ShardCount);

/// <summary>
/// Writes a sweep's Slurm chain: baselines → array of shards (<c>--dependency=afterok</c>) → report. Every job runs the
/// same <c>ecqx reproduce</c> command (<see cref="ReproduceCommandLine"/>) with one mode option added.
/// </summary>
internal static class SlurmScripts
{
    /// <summary>Folder name of the scripts inside the results folder.</summary>
    public const string FolderName = "slurm";

    /// <summary>
    /// Writes the scripts for <paramref name="experimentArguments"/> (without mode options) into
    /// <c><paramref name="resultsDirectory"/>/slurm/</c>; <paramref name="threads"/> is the user's <c>--threads</c>. Without
    /// <see cref="SlurmOptions.Time"/>, each job's time limit is its entry of <paramref name="defaultTimes"/> (from a calibrated
    /// estimate), or none (the partition's default).
    /// </summary>
    public static SlurmScriptSet Write(string resultsDirectory, string experiment, IReadOnlyList<string> executable,
        IReadOnlyList<string> experimentArguments, int? threads, int shardCount, SlurmOptions options, string workingDirectory,
        SlurmJobTimes? defaultTimes = null)
    {
        options.Validate();
        if (shardCount < 1) throw new ArgumentOutOfRangeException(nameof(shardCount), shardCount, "at least one shard");
        string dir = Path.Combine(resultsDirectory, FolderName);
        string logs = Path.Combine(dir, "logs");
        System.IO.Directory.CreateDirectory(logs);
        string command = string.Join(' ', executable.Concat(experimentArguments).Select(ReproduceCommandLine.ShellQuote));
        // Threads: the user's --threads, else the CPUs Slurm gave the task (torch would otherwise use every core of the node).
        string threadArg = threads is int t ? "--threads " + t.ToString(CultureInfo.InvariantCulture) : "--threads \"${SLURM_CPUS_PER_TASK:-1}\"";

        string array = $"0-{shardCount - 1}" + (options.MaxParallel is int k ? "%" + k.ToString(CultureInfo.InvariantCulture) : "");
        string baselines = Script($"ecqx-{experiment}-baselines", Path.Combine(logs, "baselines-%j.out"), options, workingDirectory, null, defaultTimes?.Baselines,
            "Full-precision baselines (trained or evaluated) that every run starts from.",
            $"{command} {threadArg} --baselines-only");
        string shards = Script($"ecqx-{experiment}-shards", Path.Combine(logs, "shard-%A_%a.out"), options, workingDirectory, array, defaultTimes?.Shards,
            $"The sweep's runs in {shardCount} shard(s), one array task each; a resubmitted shard skips complete runs and resumes interrupted ones.",
            $"{command} {threadArg} --shard \"${{SLURM_ARRAY_TASK_ID}}/{shardCount.ToString(CultureInfo.InvariantCulture)}\"");
        // The report only reads results: one CPU, no GPU.
        string report = Script($"ecqx-{experiment}-report", Path.Combine(logs, "report-%j.out"),
            options with { GpusPerTask = null, CpusPerTask = 1 }, workingDirectory, null, defaultTimes?.Report,
            "Collects every complete run into results.csv, results.json and report.html.",
            $"{command} --threads 1 --report");

        var set = new SlurmScriptSet(dir, Path.Combine(dir, "baselines.sbatch"), Path.Combine(dir, "shards.sbatch"),
            Path.Combine(dir, "report.sbatch"), Path.Combine(dir, "submit.sh"), shardCount);
        WriteExecutable(set.Baselines, baselines);
        WriteExecutable(set.Shards, shards);
        WriteExecutable(set.Report, report);
        WriteExecutable(set.Submit, SubmitScript());
        return set;
    }

    private static string Script(string jobName, string output, SlurmOptions o, string workingDirectory, string? array, string? defaultTime,
        string purpose, string command)
    {
        var sb = new StringBuilder("#!/bin/bash\n");
        sb.Append("#SBATCH --job-name=").Append(jobName).Append('\n');
        sb.Append("#SBATCH --output=").Append(output).Append('\n');
        sb.Append("#SBATCH --chdir=").Append(workingDirectory).Append('\n');
        if (array is not null) sb.Append("#SBATCH --array=").Append(array).Append('\n');
        sb.Append("#SBATCH --ntasks=1\n");
        if (o.CpusPerTask is int c) sb.Append("#SBATCH --cpus-per-task=").Append(c.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (o.GpusPerTask is int g) sb.Append("#SBATCH --gpus-per-task=").Append(g.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (o.Partition is not null) sb.Append("#SBATCH --partition=").Append(o.Partition).Append('\n');
        if ((o.Time ?? defaultTime) is string time) sb.Append("#SBATCH --time=").Append(time).Append('\n');
        // A job whose dependency failed is cancelled instead of pending forever.
        sb.Append("#SBATCH --kill-on-invalid-dep=yes\n");
        sb.Append("#\n# Written by `ecqx reproduce … --slurm`: ").Append(purpose).Append('\n');
        sb.Append("# Edit freely, then submit the chain with submit.sh (or rerun the ecqx command with --submit).\n");
        sb.Append("set -euo pipefail\n");
        sb.Append("echo \"ecqx on $(hostname) job ${SLURM_JOB_ID:-?} task ${SLURM_ARRAY_TASK_ID:-} at $(date -u +%FT%TZ)\"\n");
        // exec: Slurm's SIGTERM (scancel, time limit) reaches ecqx, which stops at the next batch.
        sb.Append("exec ").Append(command).Append('\n');
        return sb.ToString();
    }

    private static string SubmitScript() =>
        "#!/bin/bash\n" +
        "# Submits the sweep's chain: baselines -> array of shards (afterok) -> report (afterok). Written by `ecqx reproduce … --slurm`.\n" +
        "set -euo pipefail\n" +
        "cd \"$(dirname \"$0\")\"\n" +
        "b=$(sbatch --parsable baselines.sbatch); b=${b%%;*}\n" +
        "s=$(sbatch --parsable --dependency=afterok:$b shards.sbatch); s=${s%%;*}\n" +
        "r=$(sbatch --parsable --dependency=afterok:$s report.sbatch); r=${r%%;*}\n" +
        "echo \"baselines job $b, shards array job $s, report job $r\"\n" +
        "echo \"follow: squeue -j $b,$s,$r    accounting: sacct -j $b,$s,$r --format=JobID,JobName,State,Elapsed,ExitCode\"\n";

    private static void WriteExecutable(string path, string text)
    {
        AtomicFile.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                       UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }
}
