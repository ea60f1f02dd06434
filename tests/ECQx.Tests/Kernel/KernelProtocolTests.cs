using Xunit;
using Xunit.Abstractions;

namespace ECQx.Tests.Kernel;

/// <summary>
/// The kernel driven by <c>jupyter_client</c>'s <c>KernelManager</c>/<c>BlockingKernelClient</c> (see
/// <c>kernel_client.py</c>, which holds the assertions of each scenario): kernel_info, execute with ordered
/// stream/display/update outputs and the trailing value, error tracebacks naming the cell line, is_complete
/// (complete, incomplete, invalid),
/// complete, inspect, comm_info; interrupts of a training loop and of plain loops within 2 s, on control
/// and on shell, keeping earlier variables; restart; forged messages ignored; console input over stdin
/// (input_request/input_reply, interrupt while waiting, allow_stdin=false).
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class KernelProtocolTests(ITestOutputHelper log)
{
    /// <summary>Runs one scenario of <c>kernel_client.py</c>; returns everything the client and the kernel (its stderr) printed.</summary>
    private string Scenario(string name)
    {
        string jupyterPath = JupyterClients.InstallKernelSpec();
        var (exit, output) = JupyterClients.RunScript("kernel_client.py", [name], jupyterPath, TimeSpan.FromMinutes(5));
        log.WriteLine(output);
        Assert.True(exit == 0 && output.Contains("PASS " + name, StringComparison.Ordinal), $"scenario {name} failed (exit {exit}):\n{output}");
        return output;
    }

    [JupyterFact]
    public void RequestsAndOutputs() => Scenario("protocol");

    [JupyterFact]
    public void InterruptStopsTrainingAndPlainLoopsAndKeepsVariables() => Scenario("interrupt");

    [JupyterFact]
    public void RestartStartsAFreshKernel() => Scenario("restart");

    /// <summary>
    /// Console input: with allow_stdin the kernel sends input_request (prompt = the pending stdout of the line) and
    /// reads the client's input_reply; an interrupt while waiting cancels the cell; with allow_stdin=false the read
    /// fails at once with a clear error.
    /// </summary>
    [JupyterFact]
    public void ConsoleInputAsksTheClientWhenItAllowsStdin()
    {
        string output = Scenario("stdin");
        Assert.Contains("ignored an input_reply that no running cell waits for", output);
        Assert.Contains("ignored an input_reply without a string 'value'", output);
    }

    /// <summary>Forged messages are not executed and not answered, the kernel logs why, and it keeps working.</summary>
    [JupyterFact]
    public void MessagesWithAWrongOrMissingSignatureAreIgnored()
    {
        string output = Scenario("wrong-key");
        Assert.Contains("dropped a message on shell: message signature does not match the connection key", output);
        Assert.Contains("dropped a message on shell: message is not signed", output);
    }
}

/// <summary>Kernel tests run one after another (each starts a kernel process; the machine has 2 cores).</summary>
[CollectionDefinition(Name)]
public sealed class KernelCollection
{
    public const string Name = "jupyter kernel";
}
