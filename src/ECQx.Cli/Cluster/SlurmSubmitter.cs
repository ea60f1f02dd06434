using ECQx.IO;

namespace ECQx.Cli.Cluster;

/// <summary>The job ids of a submitted sweep chain.</summary>
/// <param name="Baselines">The baseline job.</param>
/// <param name="Shards">The array job of shards.</param>
/// <param name="Report">The report job.</param>
internal sealed record SlurmJobs(string Baselines, string Shards, string Report)
{
    /// <summary>The three ids, comma-separated (for <c>squeue -j</c> and <c>sacct -j</c>).</summary>
    public string List => $"{Baselines},{Shards},{Report}";
}

/// <summary>Thrown when Slurm is not usable here (no <c>sbatch</c>) or refuses a submission; the message says which and what to do.</summary>
internal sealed class SlurmUnavailableException(string message) : Exception(message);

/// <summary>Submits a <see cref="SlurmScriptSet"/> with <c>sbatch --parsable</c>, chaining the jobs with <c>afterok</c>.</summary>
internal static class SlurmSubmitter
{
    /// <summary>Submits baselines, then the shard array after them, then the report after the array.</summary>
    public static SlurmJobs Submit(SlurmScriptSet scripts)
    {
        string sbatch = ExecutableSearch.Find("sbatch")
            ?? throw new SlurmUnavailableException(
                $"Slurm's sbatch is not on PATH, so this machine cannot submit jobs (is it a Slurm login node?). The scripts are written in {scripts.Directory}; " +
                $"submit them from a machine with Slurm: bash {Path.Combine(scripts.Directory, "submit.sh")}");
        string baselines = Sbatch(sbatch, scripts.Baselines, null);
        string shards = Sbatch(sbatch, scripts.Shards, baselines);
        string report = Sbatch(sbatch, scripts.Report, shards);
        return new SlurmJobs(baselines, shards, report);
    }

    /// <summary>Parses the output of <c>sbatch --parsable</c>: <c>JOBID</c> or <c>JOBID;CLUSTER</c>.</summary>
    public static string ParseJobId(string output, string script)
    {
        string line = output.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
        string id = line.Split(';')[0];
        if (id.Length == 0 || !id.All(char.IsAsciiDigit))
            throw new SlurmUnavailableException($"sbatch {script}: expected a job id from --parsable, got '{output.Trim()}'");
        return id;
    }

    private static string Sbatch(string sbatch, string script, string? afterOk)
    {
        var args = new List<string> { "--parsable" };
        if (afterOk is not null) args.Add("--dependency=afterok:" + afterOk);
        args.Add(script);
        ExternalProcessResult result;
        try
        {
            // both streams read while sbatch runs, so a hanging sbatch meets the time limit (reading stdout first would wait on it)
            result = ExternalProcess.Run(sbatch, args, TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            throw new SlurmUnavailableException($"sbatch {script} did not answer within 2 minutes (is slurmctld reachable?)");
        }
        if (result.ExitCode != 0)
            throw new SlurmUnavailableException($"sbatch {script} failed (exit {result.ExitCode}): {result.StdErr.Trim()}");
        return ParseJobId(result.StdOutText, script);
    }
}
