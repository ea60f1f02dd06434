using System.Reflection;
using System.Text.Json.Nodes;
using ECQx.Notebooks.Execution;
using Microsoft.CodeAnalysis.CSharp;

namespace ECQx.Notebooks.Kernel;

/// <summary>The kernel's requests: execute, and the requests answered alike on shell and control.</summary>
public sealed partial class JupyterKernel
{
    /// <summary>Handles one shell request between busy and idle.</summary>
    private void HandleShell(JupyterMessage message)
    {
        PublishStatus(message, "busy");
        try
        {
            if (message.MessageType == "execute_request") Execute(message);
            else if (!HandleRequest(KernelChannel.Shell, message))
                _log.WriteLine($"ecqx kernel: no handler for '{message.MessageType}' on shell; ignored.");
        }
        catch (InvalidDataException e)
        {
            ReplyMalformed(KernelChannel.Shell, message, e);
        }
        catch (Exception e)
        {
            _log.WriteLine($"ecqx kernel: error while handling '{message.MessageType}': {e}");
        }
        PublishStatus(message, "idle");
    }

    /// <summary>
    /// Answers a request whose content has a field of the wrong type (see <see cref="RequestContent"/>) with an
    /// error reply of the matching type, so the client is not left waiting; the request itself is not carried out.
    /// </summary>
    private void ReplyMalformed(KernelChannel channel, JupyterMessage request, InvalidDataException e)
    {
        _log.WriteLine($"ecqx kernel: '{request.MessageType}' on {channel.ToString().ToLowerInvariant()}: {e.Message}");
        if (!request.MessageType.EndsWith("_request", StringComparison.Ordinal)) return;
        Reply(channel, request, request.MessageType[..^"_request".Length] + "_reply", new JsonObject
        {
            ["status"] = "error", ["ename"] = "MalformedRequest", ["evalue"] = e.Message, ["traceback"] = new JsonArray(e.Message),
            ["execution_count"] = _executionCount,
        });
    }

    /// <summary>The requests answered the same way on shell and control; false for an unknown type.</summary>
    private bool HandleRequest(KernelChannel channel, JupyterMessage message)
    {
        JsonObject content = message.Content;
        switch (message.MessageType)
        {
            case "kernel_info_request":
                Reply(channel, message, "kernel_info_reply", KernelInfo());
                return true;
            case "is_complete_request":
                Reply(channel, message, "is_complete_reply", CodeAssistant.IsComplete(RequestContent.Text(content, "code")));
                return true;
            case "complete_request":
                Reply(channel, message, "complete_reply", _assistant.Complete(RequestContent.Text(content, "code"), RequestContent.Integer(content, "cursor_pos", 0)));
                return true;
            case "inspect_request":
                Reply(channel, message, "inspect_reply", _assistant.Inspect(RequestContent.Text(content, "code"), RequestContent.Integer(content, "cursor_pos", 0)));
                return true;
            case "comm_info_request":
                Reply(channel, message, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() });
                return true;
            case "history_request":
                Reply(channel, message, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() });
                return true;
            default:
                return false;
        }
    }

    /// <summary>Runs an execute request; a failure also marks the executions queued behind it for abort.</summary>
    private void Execute(JupyterMessage request)
    {
        JsonObject content = request.Content;
        string code = RequestContent.Text(content, "code");
        bool silent = RequestContent.Flag(content, "silent", false);
        bool storeHistory = !silent && RequestContent.Flag(content, "store_history", true);
        bool allowStdin = RequestContent.Flag(content, "allow_stdin", false);
        bool stopOnError = RequestContent.Flag(content, "stop_on_error", true);
        if (storeHistory) _executionCount++;
        int count = _executionCount;
        if (!silent) Publish(request, "execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count });

        using var outputs = silent ? null : new IopubOutputs((type, c) => Publish(request, type, c));
        // Console input goes to the client as input_request when it allows stdin; otherwise reading fails with a clear error.
        KernelInput? input = allowStdin
            ? new KernelInput(prompt => Reply(KernelChannel.Stdin, request, "input_request", new JsonObject { ["prompt"] = prompt, ["password"] = false }),
                              () => outputs?.TakePrompt() ?? "")
            : null;
        CellCapture capture = _session.NewCapture(listener: outputs, input: input ?? CellInput.ClientDisallowsStdin);
        using var cancellation = new CancellationTokenSource();
        lock (_runningGate)
        {
            _running = cancellation;
            _input = input;
        }
        CellOutcome outcome;
        try
        {
            outcome = _session.ExecuteAsync(code, $"cell-{count}", capture, cancellation.Token).GetAwaiter().GetResult();
        }
        finally
        {
            lock (_runningGate)
            {
                _running = null;
                _input = null;
            }
        }
        outputs?.Flush();

        if (outcome.Error is { } error)
        {
            var traceback = new JsonArray(error.Traceback.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
            // Executions already queued behind this one are aborted (unless the request says otherwise); the cut is
            // taken before the reply goes out, so nothing sent in answer to the reply is caught by it.
            if (stopOnError)
                Interlocked.Exchange(ref _abortArrivalsBefore, Interlocked.Read(ref _shellArrivals));
            if (!silent)
                Publish(request, "error", new JsonObject { ["ename"] = error.Name, ["evalue"] = error.Message, ["traceback"] = traceback.DeepClone() });
            Reply(KernelChannel.Shell, request, "execute_reply", new JsonObject
            {
                ["status"] = "error", ["execution_count"] = count, ["ename"] = error.Name, ["evalue"] = error.Message, ["traceback"] = traceback,
            });
            return;
        }
        foreach (string note in outcome.Notes)
            if (!silent) Publish(request, "stream", new JsonObject { ["name"] = "stderr", ["text"] = "note: " + note + "\n" });
        if (outcome.Result is { } result && !silent)
            Publish(request, "execute_result", new JsonObject { ["execution_count"] = count, ["data"] = result.ToMessageJson(), ["metadata"] = new JsonObject() });
        Reply(KernelChannel.Shell, request, "execute_reply", new JsonObject
        {
            ["status"] = "ok", ["execution_count"] = count, ["user_expressions"] = new JsonObject(), ["payload"] = new JsonArray(),
        });
    }

    private JsonObject KernelInfo()
    {
        string version = typeof(JupyterKernel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";
        string language = LanguageVersionFacts.ToDisplayString(LanguageVersionFacts.MapSpecifiedToEffectiveVersion(LanguageVersion.Latest));
        return new JsonObject
        {
            ["status"] = "ok",
            ["protocol_version"] = JupyterMessage.ProtocolVersion,
            ["implementation"] = "ecqx",
            ["implementation_version"] = version,
            ["language_info"] = LanguageInfo(language),
            ["banner"] = $"C# (ECQx) kernel {version}: C# {language} scripting on .NET {Environment.Version}, with ECQx, TorchSharp and Plotly.NET loaded.",
            ["help_links"] = new JsonArray(),
        };
    }

    /// <summary>The <c>language_info</c> of the kernel (also written into notebook metadata).</summary>
    internal static JsonObject LanguageInfo(string version) => new()
    {
        ["name"] = "C#",
        ["version"] = version,
        ["mimetype"] = "text/x-csharp",
        ["file_extension"] = ".cs",
        ["pygments_lexer"] = "csharp",
        ["codemirror_mode"] = "text/x-csharp",
    };
}
