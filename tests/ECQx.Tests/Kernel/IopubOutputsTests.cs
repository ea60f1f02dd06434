using System.Text.Json.Nodes;
using ECQx.Notebooks.Kernel;
using Xunit;

namespace ECQx.Tests.Kernel;

/// <summary>
/// The prompt of an input request (<see cref="IopubOutputs.TakePrompt"/>): the unsent stdout text of the current line
/// becomes the prompt and is not sent as a stream too; anything else pending is sent first, and the prompt is then empty.
/// </summary>
public sealed class IopubOutputsTests
{
    private static (IopubOutputs Outputs, List<(string Type, JsonObject Content)> Sent) Make()
    {
        var sent = new List<(string, JsonObject)>();
        return (new IopubOutputs((type, content) => { lock (sent) sent.Add((type, content)); }), sent);
    }

    [Fact]
    public void PendingStdoutOfTheLineBecomesThePromptAndIsNotStreamed()
    {
        var (outputs, sent) = Make();
        outputs.Stream("stdout", "line one\n");
        outputs.Stream("stdout", "Your ");
        outputs.Stream("stdout", "name: ");
        Assert.Equal("Your name: ", outputs.TakePrompt());
        outputs.Dispose();
        Assert.Equal([("stream", "stdout", "line one\n")], sent.Select(m => (m.Type, m.Content["name"]!.GetValue<string>(), m.Content["text"]!.GetValue<string>())));
    }

    [Fact]
    public void OtherPendingTextIsSentFirstAndThePromptIsEmpty()
    {
        var (outputs, sent) = Make();
        outputs.Stream("stdout", "done\n");
        Assert.Equal("", outputs.TakePrompt());
        outputs.Stream("stderr", "warning: ");
        Assert.Equal("", outputs.TakePrompt());
        Assert.Equal(["done\n", "warning: "], sent.Select(m => m.Content["text"]!.GetValue<string>()));
        outputs.Dispose();
        Assert.Equal(2, sent.Count);
    }
}
