namespace ECQx.Notebooks;

/// <summary>
/// Shows values as notebook outputs. During a notebook run each call adds a <c>display_data</c> output to
/// the running cell (in order with its printed text); outside a run the plain-text form is written to the
/// console, so library code may call it freely. Notebook cells normally use the global <c>display(x)</c>,
/// which does the same.
/// </summary>
public static class Display
{
    private static readonly AsyncLocal<CellCapture?> Current = new();

    /// <summary>Displays <paramref name="value"/>: text, <see cref="Html"/>, a Plotly.NET chart, a table (a sequence of records) or any object.</summary>
    public static DisplayHandle Show(object? value)
    {
        CellCapture? capture = Current.Value;
        if (capture is null)
        {
            Console.Out.WriteLine(MimeFormatter.PlainText(value));
            return new DisplayHandle(null, null, Guid.NewGuid().ToString("N"));
        }
        return capture.AddDisplay(value);
    }

    /// <summary>True while a notebook cell is running on this execution flow.</summary>
    public static bool InNotebook => Current.Value is not null;

    /// <summary>Routes <see cref="Show"/> (and console output, see <see cref="ConsoleRouter"/>) to <paramref name="capture"/> on this execution flow.</summary>
    internal static void Enter(CellCapture? capture) => Current.Value = capture;

    internal static CellCapture? Active => Current.Value;
}
