namespace ECQx.Notebooks;

/// <summary>Settings of a <see cref="NotebookRunner"/>.</summary>
public sealed record NotebookRunnerOptions
{
    /// <summary>
    /// Current directory while the cells run (Polyglot Notebooks uses the notebook's folder; the CLI does
    /// the same). Null leaves the process's current directory alone.
    /// </summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Progress lines ("cell 3/12 … ok (1.2 s)") and notes go here; null for silence.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Also copy what cells print (and the text form of displayed values) to the real console while they run.</summary>
    public bool EchoCellOutput { get; init; }

    /// <summary>How chart outputs carry plotly.js (default: once per notebook).</summary>
    public PlotlyJsEmbedding PlotlyJs { get; init; } = PlotlyJsEmbedding.OncePerNotebook;
}
