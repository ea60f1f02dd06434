using ECQx.Notebooks.Kernel;
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
    private string Scenario(string name, IDictionary<string, string>? environment = null)
    {
        string jupyterPath = JupyterClients.InstallKernelSpec();
        var (exit, output) = JupyterClients.RunScript("kernel_client.py", [name], jupyterPath, TimeSpan.FromMinutes(5), environment);
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

    /// <summary>
    /// A careless or hostile client, with the message cap set to 1 MiB through the environment: correctly signed messages
    /// whose header msg_type is a number, an object, an array, null or invalid UTF-8, and content with invalid UTF-8, are
    /// dropped; the same signed execute_request sent twice runs once; a 2 MiB frame and frames adding up to 1.8 MiB are
    /// dropped while a 0.5 MiB cell runs. After each, the kernel answers the next request (the script checks that).
    /// </summary>
    [JupyterFact]
    public void MalformedReplayedAndOversizedMessagesAreDroppedAndTheKernelGoesOn()
    {
        string output = Scenario("hostile", new Dictionary<string, string> { [KernelOptions.MaxMessageEnvironmentVariable] = "1" });
        Assert.Contains("message header field 'msg_type' must be a string, not Number 5", output);
        Assert.Contains("message header field 'msg_type' must be a string, not Object", output);
        Assert.Contains("message header is not valid UTF-8", output);
        Assert.Contains("message content is not valid UTF-8", output);
        Assert.Contains("'execute_request' is a replay", output);
        Assert.Contains("is over the cap of 1048576 bytes", output);
        Assert.DoesNotContain("Unhandled exception", output);
    }
}

/// <summary>Kernel tests run one after another (each starts a kernel process; the machine has 2 cores).</summary>
[CollectionDefinition(Name)]
public sealed class KernelCollection
{
    public const string Name = "jupyter kernel";
}
