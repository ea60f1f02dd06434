using System.Text;
using System.Text.Json.Nodes;
using ECQx.Notebooks.Nbformat;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// Publishes a running cell's outputs on iopub as they happen: <c>stream</c> (text is sent at each line
/// end, and partial lines after 100 ms), <c>display_data</c> with a <c>transient.display_id</c>, and
/// <c>update_display_data</c> for that id. Text written before a display is sent before it.
/// </summary>
internal sealed class IopubOutputs : ICellOutputListener, IDisposable
{
    private readonly Action<string, JsonObject> _publish;
    private readonly object _gate = new();
    private readonly StringBuilder _pending = new();
    private readonly Timer _timer;
    private string? _pendingName;

    /// <param name="publish">Publishes a message type with content as a child of the execute request.</param>
    internal IopubOutputs(Action<string, JsonObject> publish)
    {
        _publish = publish;
        _timer = new Timer(_ => Flush(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public void Stream(string name, string text)
    {
        lock (_gate)
        {
            if (_pendingName is not null && _pendingName != name) FlushLocked();
            _pendingName = name;
            _pending.Append(text);
            if (text.Contains('\n')) FlushLocked();
            else _timer.Change(100, Timeout.Infinite);
        }
    }

    public void Display(MimeBundle bundle, string displayId)
    {
        lock (_gate)
        {
            FlushLocked();
            _publish("display_data", Content(bundle, displayId));
        }
    }

    public void UpdateDisplay(MimeBundle bundle, string displayId)
    {
        lock (_gate)
        {
            FlushLocked();
            _publish("update_display_data", Content(bundle, displayId));
        }
    }

    /// <summary>Sends the text not yet sent.</summary>
    internal void Flush()
    {
        lock (_gate) FlushLocked();
    }

    /// <summary>
    /// Before an input request: the stdout text of the current line that was not sent yet (a prompt such as
    /// <c>Console.Write("Name: ")</c>), taken out of the stream so the front end shows it once, as the
    /// request's prompt; everything else pending is sent first. Empty when no such text is pending.
    /// </summary>
    internal string TakePrompt()
    {
        lock (_gate)
        {
            if (_pendingName != "stdout")
            {
                FlushLocked();
                return "";
            }
            string prompt = _pending.ToString();
            _pending.Clear();
            _pendingName = null;
            return prompt;
        }
    }

    public void Dispose()
    {
        Flush();
        _timer.Dispose();
    }

    private void FlushLocked()
    {
        if (_pendingName is null || _pending.Length == 0) return;
        _publish("stream", new JsonObject { ["name"] = _pendingName, ["text"] = _pending.ToString() });
        _pending.Clear();
        _pendingName = null;
    }

    private static JsonObject Content(MimeBundle bundle, string displayId) => new()
    {
        ["data"] = bundle.ToMessageJson(),
        ["metadata"] = new JsonObject(),
        ["transient"] = new JsonObject { ["display_id"] = displayId },
    };
}
