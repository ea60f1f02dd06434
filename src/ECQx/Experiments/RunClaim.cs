using System.Diagnostics;
using System.Text.Json;
using ECQx.IO;

namespace ECQx.Experiments;

/// <summary>Who holds a run's claim: host, process (with its start time, against pid reuse), Slurm job, and times.</summary>
/// <param name="Host">Short host name of the owner.</param>
/// <param name="ProcessId">Owner's process id on <paramref name="Host"/>.</param>
/// <param name="ProcessStartUtc">Owner process's start time (a live pid with another start time is a reused pid).</param>
/// <param name="SlurmJob">Slurm job (<c>JOB</c> or <c>ARRAYJOB_TASK</c>) of the owner, or null outside Slurm.</param>
/// <param name="ClaimedUtc">When the claim was taken.</param>
/// <param name="HeartbeatUtc">Last time the owner renewed the claim.</param>
/// <param name="Token">Random id of this claim (tells a taken-over claim from one's own).</param>
public sealed record RunClaimOwner(string Host, int ProcessId, DateTime ProcessStartUtc, string? SlurmJob, DateTime ClaimedUtc, DateTime HeartbeatUtc, string Token)
{
    /// <summary>One line for logs: host, pid and Slurm job.</summary>
    public string Describe() => $"{Host} pid {ProcessId}{(SlurmJob is null ? "" : ", Slurm job " + SlurmJob)}";

    /// <summary>The owner record of this process, now.</summary>
    public static RunClaimOwner Current()
    {
        var now = DateTime.UtcNow;
        using var self = Process.GetCurrentProcess();
        return new RunClaimOwner(RunClaim.HostName, Environment.ProcessId, self.StartTime.ToUniversalTime(), CurrentSlurmJob(), now, now,
            Guid.NewGuid().ToString("N"));
    }

    private static string? CurrentSlurmJob()
    {
        string? array = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID");
        string? task = Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID");
        if (!string.IsNullOrEmpty(array) && !string.IsNullOrEmpty(task)) return array + "_" + task;
        string? job = Environment.GetEnvironmentVariable("SLURM_JOB_ID");
        return string.IsNullOrEmpty(job) ? null : job;
    }
}

/// <summary>What a run folder's claim file says about who may work on the run.</summary>
public enum RunClaimState
{
    /// <summary>No claim file.</summary>
    Free,
    /// <summary>Claimed by a live owner.</summary>
    Held,
    /// <summary>Claimed by an owner that is gone (dead process on this host, or no heartbeat within the lease).</summary>
    Stale,
}

/// <summary>
/// An exclusive claim on one run (or baseline) folder of a sweep, so that many processes (shards, Slurm array tasks,
/// a single-process run) can share one results folder without two of them training the same run.
/// </summary>
/// <remarks>
/// <para>The claim is the file <c>claim.json</c> in the run's folder, created exclusively (<c>O_CREAT|O_EXCL</c>,
/// which NFSv3+ and Lustre honour). It records the owner's host, pid and process start time, its Slurm job and a
/// heartbeat that a timer renews every quarter lease.</para>
/// <para>A claim is stale, and is taken over, when its owner is gone: on the same host, when the pid is not running or
/// belongs to a process started at another time (pid reuse); on another host, when the heartbeat is older than the
/// lease (so a shard killed on another node is taken over one lease after its death). A claim file that cannot be
/// parsed is held for a lease after it was last written (an owner may be writing it), then stale.</para>
/// <para>Takeover renames the stale file to a name only the taker uses, checks it moved the claim it judged stale
/// (otherwise it puts the file back), deletes it and creates its own claim exclusively; two takers cannot both win.</para>
/// </remarks>
public sealed class RunClaim : IDisposable
{
    /// <summary>File name of a claim inside a run folder.</summary>
    public const string FileName = "claim.json";

    /// <summary>Default lease: a claim whose heartbeat is older than this (owner on another host) is stale.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromMinutes(10);

    private static readonly JsonSerializerOptions Json = new(ResolvedConfig.Json) { WriteIndented = false };
    private readonly string _path;
    private readonly Timer _heartbeat;
    private readonly object _gate = new();
    private RunClaimOwner _owner;
    private bool _released;

    private RunClaim(string path, RunClaimOwner owner, TimeSpan lease)
    {
        _path = path;
        _owner = owner;
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, lease.Ticks / 4));
        _heartbeat = new Timer(_ => Renew(), null, period, period);
    }

    /// <summary>This machine's short host name (the part before the first dot).</summary>
    public static string HostName => Environment.MachineName.Split('.')[0];

    /// <summary>The owner this claim was taken as.</summary>
    public RunClaimOwner Owner => _owner;

    /// <summary>
    /// Claims the folder <paramref name="runDirectory"/> for this process, taking over a stale claim. Returns null when a
    /// live owner holds it (<paramref name="holder"/> says who).
    /// </summary>
    public static RunClaim? TryAcquire(string runDirectory, TimeSpan lease, out RunClaimOwner? holder)
    {
        CheckLease(lease);
        Directory.CreateDirectory(runDirectory);
        string path = Path.Combine(runDirectory, FileName);
        for (int attempt = 0; attempt < 8; attempt++)
        {
            var me = RunClaimOwner.Current();
            if (TryCreate(path, me))
            {
                holder = null;
                return new RunClaim(path, me, lease);
            }
            var (state, current) = Inspect(runDirectory, lease);
            if (state == RunClaimState.Held)
            {
                holder = current;
                return null;
            }
            if (state == RunClaimState.Stale) TakeOver(path, current, me.Token);
        }
        // Lost every race (other takers kept winning): report the current holder.
        holder = Inspect(runDirectory, lease).Owner;
        return null;
    }

    /// <summary>The state of the claim of <paramref name="runDirectory"/> and its owner (null when free or unreadable).</summary>
    public static (RunClaimState State, RunClaimOwner? Owner) Inspect(string runDirectory, TimeSpan lease)
    {
        CheckLease(lease);
        string path = Path.Combine(runDirectory, FileName);
        RunClaimOwner? owner;
        DateTime written;
        try
        {
            written = File.GetLastWriteTimeUtc(path);
            if (!File.Exists(path)) return (RunClaimState.Free, null);
            owner = Read(path);
        }
        catch (FileNotFoundException) { return (RunClaimState.Free, null); }
        catch (DirectoryNotFoundException) { return (RunClaimState.Free, null); }
        if (owner is null) return (DateTime.UtcNow - written > lease ? RunClaimState.Stale : RunClaimState.Held, null);
        return (IsAlive(owner, lease) ? RunClaimState.Held : RunClaimState.Stale, owner);
    }

    /// <summary>Whether <paramref name="owner"/> is still working: its process on this host, or its heartbeat within the lease elsewhere.</summary>
    public static bool IsAlive(RunClaimOwner owner, TimeSpan lease)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (!string.Equals(owner.Host, HostName, StringComparison.OrdinalIgnoreCase))
            return DateTime.UtcNow - owner.HeartbeatUtc <= lease;
        try
        {
            using var p = Process.GetProcessById(owner.ProcessId);
            if (p.HasExited) return false;
            return Math.Abs((p.StartTime.ToUniversalTime() - owner.ProcessStartUtc).TotalSeconds) < 2;
        }
        catch (ArgumentException) { return false; }          // no such process
        catch (InvalidOperationException) { return false; }  // exited meanwhile
        catch (System.ComponentModel.Win32Exception)
        {
            // Its start time is unreadable: it exited meanwhile (no /proc entry) or is not ours to inspect; then trust the heartbeat.
            if (OperatingSystem.IsLinux() && !Directory.Exists("/proc/" + owner.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))) return false;
            return DateTime.UtcNow - owner.HeartbeatUtc <= lease;
        }
    }

    /// <summary>Stops the heartbeat and deletes the claim file if it is still this claim's.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_released) return;
            _released = true;
        }
        _heartbeat.Dispose();
        try
        {
            if (Read(_path)?.Token == _owner.Token) File.Delete(_path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private void Renew()
    {
        lock (_gate)
        {
            if (_released) return;
            try
            {
                if (Read(_path)?.Token != _owner.Token) return; // taken over (we were judged dead): leave the new owner alone
                _owner = _owner with { HeartbeatUtc = DateTime.UtcNow };
                AtomicFile.WriteAllText(_path, JsonSerializer.Serialize(_owner, Json));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static bool TryCreate(string path, RunClaimOwner me)
    {
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(me, Json);
        try
        {
            using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (File.Exists(path)) { return false; }
    }

    private static void TakeOver(string path, RunClaimOwner? stale, string myToken)
    {
        string moved = path + ".stale-" + myToken;
        try { File.Move(path, moved); }
        catch (FileNotFoundException) { return; } // someone else removed it: just try to create ours
        RunClaimOwner? what = Read(moved);
        if (what?.Token != stale?.Token)
        {
            // We moved a claim taken after we judged the old one stale: give it back.
            try { File.Move(moved, path, overwrite: false); }
            catch (IOException) { File.Delete(moved); }
            return;
        }
        File.Delete(moved);
    }

    private static RunClaimOwner? Read(string path)
    {
        try { return JsonSerializer.Deserialize<RunClaimOwner>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
        catch (FileNotFoundException) { return null; }
    }

    private static void CheckLease(TimeSpan lease)
    {
        if (lease <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lease), lease, "the claim lease must be positive");
    }
}
