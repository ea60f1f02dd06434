using ECQx.Experiments;
using Xunit;

namespace ECQx.Tests.Experiments;

public sealed class PrimerDefaultsTests
{
    [Fact]
    public void ThePrimerDefaultsReachTheRegimeWhereEcqAndEcqxPartWays()
    {
        foreach (bool quick in new[] { true, false })
        {
            var d = new PrimerExperiment().Defaults(quick);
            Assert.Contains(0.4, d.Lambdas);
            Assert.DoesNotContain(0.0, d.Lambdas);
        }
    }
}
