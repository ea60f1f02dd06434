using Xunit;

namespace ECQx.Tests.Cluster;

/// <summary>
/// A fact that needs a one-node Slurm cluster started by <see cref="SlurmTestCluster"/>: root and the Debian packages
/// slurm-wlm and munge. Without them the test is skipped with the reason, except in CI (environment variable
/// <c>CI</c> set), where it runs and fails saying what is missing.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (SlurmTestCluster.MissingPrerequisite() is string reason && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = $"No Slurm test cluster here: {reason}. .ci/install-prereqs installs slurm-wlm and munge (as root).";
    }
}
