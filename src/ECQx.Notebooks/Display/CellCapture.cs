using System.Text;
using System.Text.Json.Nodes;
using ECQx.Notebooks.Nbformat;

namespace ECQx.Notebooks;

/// <summary>
/// Collects one cell's outputs in the order they happen: printed text (merged into one stream output per
/// run of writes to the same stream) and displayed values. Thread-safe, so cells may print and display
/// from parallel loops.
/// </summary>
internal sealed class CellCapture
{
    private readonly List<object> _entries = []; // StreamEntry or JsonObject (display_data)
    private readonly object _gate;
    private readonly MimeFormatter _formatter;
    private readonly TextWriter? _echoOut;
    private readonly TextWriter? _echoErr;

    internal CellCapture(MimeFormatter formatter, object gate, TextWriter? echoOut, TextWriter? echoErr)
    {
        _formatter = formatter;
        _gate = gate;
        _echoOut = echoOut;
        _echoErr = echoErr;
    }

    internal void WriteStream(string name, string text)
    {
        if (text.Length == 0) return;
        lock (_gate)
        {
            if (_entries.Count > 0 && _entries[^1] is StreamEntry last && last.Name == name) last.Text.Append(text);
            else _entries.Add(new StreamEntry(name, new StringBuilder(text)));
            (name == "stderr" ? _echoErr : _echoOut)?.Write(text);
        }
    }

    internal DisplayHandle AddDisplay(object? value)
    {
        MimeBundle bundle = _formatter.Format(value);
        JsonObject output = Outputs.DisplayData(bundle);
        lock (_gate)
        {
            _entries.Add(output);
            _echoOut?.WriteLine(bundle.GetText("text/plain") ?? "[display: " + string.Join(", ", bundle.MimeTypes) + "]");
        }
        return new DisplayHandle(output, _formatter, _gate);
    }

    /// <summary>The nbformat outputs so far (display outputs are the live objects their handles update).</summary>
    internal List<JsonObject> ToOutputs()
    {
        lock (_gate)
        {
            return _entries.Select(e => e is StreamEntry s ? Outputs.Stream(s.Name, s.Text.ToString()) : (JsonObject)e).ToList();
        }
    }

    private sealed record StreamEntry(string Name, StringBuilder Text);
}
