using System.Text.Json.Nodes;

namespace ECQx.Notebooks;

/// <summary>
/// A displayed output that can be replaced later (Jupyter's <c>update_display_data</c>), for example a
/// progress line or a chart redrawn after every epoch. In the kernel the client redraws the output in
/// place; in the saved notebook of a headless run only the last value remains.
/// </summary>
public sealed class DisplayHandle
{
    private readonly CellCapture? _capture;
    private readonly JsonObject? _output;

    internal DisplayHandle(CellCapture? capture, JsonObject? output, string displayId)
    {
        _capture = capture;
        _output = output;
        DisplayId = displayId;
    }

    /// <summary>The Jupyter display id (<c>transient.display_id</c>) of this output.</summary>
    public string DisplayId { get; }

    /// <summary>True when the value went into a notebook output (false when shown on the console outside a notebook run).</summary>
    public bool IsNotebookOutput => _output is not null;

    /// <summary>Replaces the displayed value with <paramref name="value"/> (outside a notebook run it is printed again).</summary>
    public void Update(object? value)
    {
        if (_capture is null || _output is null)
        {
            Display.Show(value);
            return;
        }
        _capture.UpdateDisplay(_output, DisplayId, value);
    }
}
