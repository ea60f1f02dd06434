using System.Text;
using System.Text.Json.Nodes;
using ECQx.Notebooks.Execution;
using ECQx.Notebooks.Nbformat;

namespace ECQx.Notebooks;

/// <summary>
/// Collects one cell's outputs in the order they happen: printed text (merged into one stream output per
/// run of writes to the same stream) and displayed values, and passes each one on to an optional live
/// <see cref="ICellOutputListener"/> (the kernel). Thread-safe, so cells may print and display from parallel loops.
/// </summary>
internal sealed class CellCapture
{
    private readonly List<object> _entries = []; // StreamEntry or JsonObject (display_data)
    private readonly object _gate;
    private readonly MimeFormatter _formatter;
    private readonly TextWriter? _echoOut;
    private readonly TextWriter? _echoErr;
    private readonly ICellOutputListener? _listener;
    private readonly ICellInput _input;
    private readonly object _inputGate = new();
    private string _inputLeft = ""; // the rest of the last line read, for char-wise reads

    internal CellCapture(MimeFormatter formatter, object gate, TextWriter? echoOut, TextWriter? echoErr, ICellOutputListener? listener = null, ICellInput? input = null)
    {
        _input = input ?? CellInput.Headless;
        _formatter = formatter;
        _gate = gate;
        _echoOut = echoOut;
        _echoErr = echoErr;
        _listener = listener;
    }

    internal void WriteStream(string name, string text)
    {
        if (text.Length == 0) return;
        lock (_gate)
        {
            if (_entries.Count > 0 && _entries[^1] is StreamEntry last && last.Name == name) last.Text.Append(text);
            else _entries.Add(new StreamEntry(name, new StringBuilder(text)));
            (name == "stderr" ? _echoErr : _echoOut)?.Write(text);
            _listener?.Stream(name, text);
        }
    }

    internal DisplayHandle AddDisplay(object? value)
    {
        MimeBundle bundle = _formatter.Format(value);
        JsonObject output = Outputs.DisplayData(bundle);
        string displayId = Guid.NewGuid().ToString("N");
        lock (_gate)
        {
            _entries.Add(output);
            _echoOut?.WriteLine(bundle.GetText("text/plain") ?? "[display: " + string.Join(", ", bundle.MimeTypes) + "]");
            _listener?.Display(bundle, displayId);
        }
        return new DisplayHandle(this, output, displayId);
    }

    /// <summary>Replaces the data of a displayed output (the handle's <see cref="DisplayHandle.Update"/>).</summary>
    internal void UpdateDisplay(JsonObject output, string displayId, object? value)
    {
        MimeBundle bundle = _formatter.Format(value);
        lock (_gate)
        {
            output["data"] = bundle.ToJson();
            _listener?.UpdateDisplay(bundle, displayId);
        }
    }

    /// <summary>The next input line for <see cref="Console.In"/>'s <c>ReadLine</c> (asks the input source when no read-ahead is left).</summary>
    internal string ReadLine()
    {
        lock (_inputGate)
        {
            if (_inputLeft.Length == 0) return _input.ReadLine(CellCancellation.Token);
            int end = _inputLeft.IndexOf('\n');
            string line = end < 0 ? _inputLeft : _inputLeft[..end];
            _inputLeft = end < 0 ? "" : _inputLeft[(end + 1)..];
            return line;
        }
    }

    /// <summary>The next input character for <see cref="Console.In"/>'s <c>Read</c>/<c>Peek</c>; a line read from the source ends in <c>\n</c>.</summary>
    internal int ReadChar(bool consume)
    {
        lock (_inputGate)
        {
            if (_inputLeft.Length == 0) _inputLeft = _input.ReadLine(CellCancellation.Token) + "\n";
            char c = _inputLeft[0];
            if (consume) _inputLeft = _inputLeft[1..];
            return c;
        }
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
