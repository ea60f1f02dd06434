using System.Text.Json.Nodes;
using ECQx.Notebooks.Nbformat;

namespace ECQx.Notebooks;

/// <summary>
/// A displayed output that can be replaced later (like Jupyter's <c>update_display_data</c>), for example a
/// progress line or a chart redrawn after every epoch. In the saved notebook only the last value remains.
/// </summary>
public sealed class DisplayHandle
{
    private readonly JsonObject? _output;
    private readonly MimeFormatter? _formatter;
    private readonly object _gate;

    internal DisplayHandle(JsonObject? output, MimeFormatter? formatter, object gate)
    {
        _output = output;
        _formatter = formatter;
        _gate = gate;
    }

    /// <summary>True when the value went into a notebook output (false when shown on the console outside a notebook run).</summary>
    public bool IsNotebookOutput => _output is not null;

    /// <summary>Replaces the displayed value with <paramref name="value"/> (outside a notebook run it is printed again).</summary>
    public void Update(object? value)
    {
        if (_output is null || _formatter is null)
        {
            Display.Show(value);
            return;
        }
        MimeBundle bundle = _formatter.Format(value);
        lock (_gate) _output["data"] = bundle.ToJson();
    }
}
