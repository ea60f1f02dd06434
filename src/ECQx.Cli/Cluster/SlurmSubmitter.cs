using System.Diagnostics;

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
        var psi = new ProcessStartInfo(sbatch) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--parsable");
        if (afterOk is not null) psi.ArgumentList.Add("--dependency=afterok:" + afterOk);
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi) ?? throw new SlurmUnavailableException($"could not start {sbatch}");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill();
            throw new SlurmUnavailableException($"sbatch {script} did not answer within 2 minutes (is slurmctld reachable?)");
        }
        if (p.ExitCode != 0)
            throw new SlurmUnavailableException($"sbatch {script} failed (exit {p.ExitCode}): {stderr.Result.Trim()}");
        return ParseJobId(stdout, script);
    }
}
