using System.Diagnostics;
using System.Text.Json;
using ECQx.Experiments;
using Xunit;

namespace ECQx.Tests.Cluster;

public sealed class RunClaimTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);
    private static readonly JsonSerializerOptions Json = new(ResolvedConfig.Json) { WriteIndented = false };

    [Fact]
    public void OfManyConcurrentClaimersExactlyOneWinsAndReleasingFreesTheRun()
    {
        string dir = TestPaths.NewTempDir();
        var claims = new RunClaim?[16];
        using var start = new Barrier(claims.Length);
        Parallel.For(0, claims.Length, new ParallelOptions { MaxDegreeOfParallelism = claims.Length }, i =>
        {
            start.SignalAndWait();
            claims[i] = RunClaim.TryAcquire(dir, Lease, out _);
        });
        var winners = claims.Where(c => c is not null).ToList();
        Assert.Single(winners);
        Assert.Null(RunClaim.TryAcquire(dir, Lease, out var holder));
        Assert.Equal(winners[0]!.Owner.Token, holder!.Token);
        Assert.Equal(RunClaimState.Held, RunClaim.Inspect(dir, Lease).State);

        winners[0]!.Dispose();
        Assert.Equal(RunClaimState.Free, RunClaim.Inspect(dir, Lease).State);
        using var next = RunClaim.TryAcquire(dir, Lease, out _);
        Assert.NotNull(next);
    }

    [Fact]
    public void AClaimOfAProcessThatDiedOnThisHostIsTakenOver()
    {
        string dir = TestPaths.NewTempDir();
        using var p = Process.Start(new ProcessStartInfo("/bin/sleep", "0.3") { UseShellExecute = false })!;
        DateTime started = p.StartTime.ToUniversalTime();
        p.WaitForExit();
        var dead = new RunClaimOwner(RunClaim.HostName, p.Id, started, "41_2", DateTime.UtcNow, DateTime.UtcNow, "dead-token");
        File.WriteAllText(Path.Combine(dir, RunClaim.FileName), JsonSerializer.Serialize(dead, Json));

        Assert.Equal(RunClaimState.Stale, RunClaim.Inspect(dir, Lease).State);
        using var claim = RunClaim.TryAcquire(dir, Lease, out _);
        Assert.NotNull(claim);
        Assert.Equal(Environment.ProcessId, claim!.Owner.ProcessId);
        Assert.Empty(Directory.GetFiles(dir, RunClaim.FileName + ".stale-*")); // the taken-over file is gone
    }

    [Fact]
    public void AReusedPidIsNotMistakenForTheOwner()
    {
        string dir = TestPaths.NewTempDir();
        // this very process's pid, but "started" a day earlier: a different process that had the same pid
        var other = new RunClaimOwner(RunClaim.HostName, Environment.ProcessId, DateTime.UtcNow.AddDays(-1), null, DateTime.UtcNow, DateTime.UtcNow, "t");
        File.WriteAllText(Path.Combine(dir, RunClaim.FileName), JsonSerializer.Serialize(other, Json));
        Assert.Equal(RunClaimState.Stale, RunClaim.Inspect(dir, Lease).State);
    }

    [Fact]
    public void AClaimFromAnotherHostIsHeldWhileItsHeartbeatIsFreshAndStaleAfterTheLease()
    {
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, RunClaim.FileName);
        var fresh = new RunClaimOwner("some-other-node", 4242, DateTime.UtcNow.AddHours(-1), "7_0", DateTime.UtcNow.AddHours(-1), DateTime.UtcNow.AddMinutes(-9), "t1");
        File.WriteAllText(path, JsonSerializer.Serialize(fresh, Json));
        Assert.Equal(RunClaimState.Held, RunClaim.Inspect(dir, Lease).State);
        Assert.Null(RunClaim.TryAcquire(dir, Lease, out var holder));
        Assert.Equal("some-other-node pid 4242, Slurm job 7_0", holder!.Describe());

        File.WriteAllText(path, JsonSerializer.Serialize(fresh with { HeartbeatUtc = DateTime.UtcNow.AddMinutes(-11) }, Json));
        Assert.Equal(RunClaimState.Stale, RunClaim.Inspect(dir, Lease).State);
        using var claim = RunClaim.TryAcquire(dir, Lease, out _);
        Assert.NotNull(claim);
    }

    [Fact]
    public void TheOwnerRenewsItsHeartbeatWithinTheLease()
    {
        string dir = TestPaths.NewTempDir();
        var lease = TimeSpan.FromSeconds(4); // renewed every second
        using var claim = RunClaim.TryAcquire(dir, lease, out _)!;
        DateTime first = claim.Owner.HeartbeatUtc;
        Thread.Sleep(2500);
        var onDisk = JsonSerializer.Deserialize<RunClaimOwner>(File.ReadAllText(Path.Combine(dir, RunClaim.FileName)), Json)!;
        Assert.Equal(claim.Owner.Token, onDisk.Token);
        Assert.True(onDisk.HeartbeatUtc > first, $"heartbeat {onDisk.HeartbeatUtc:O} not after {first:O}");
    }

    [Fact]
    public void AnUnreadableClaimIsHeldWhileYoungAndTakenOverWhenOlderThanTheLease()
    {
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, RunClaim.FileName);
        File.WriteAllText(path, "{ torn");
        Assert.Equal(RunClaimState.Held, RunClaim.Inspect(dir, Lease).State);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-11));
        Assert.Equal(RunClaimState.Stale, RunClaim.Inspect(dir, Lease).State);
        using var claim = RunClaim.TryAcquire(dir, Lease, out _);
        Assert.NotNull(claim);
    }
}
