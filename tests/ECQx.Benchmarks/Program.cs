using BenchmarkDotNet.Running;

namespace ECQx.Benchmarks;

/// <summary>
/// Benchmarks. <c>dotnet run -c Release --project tests/ECQx.Benchmarks -- --filter '*'</c> runs
/// BenchmarkDotNet; <c>-- ratios</c> runs the quick ratio benches that print a table.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && RatioBenches.TryRun(args)) return 0;
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
