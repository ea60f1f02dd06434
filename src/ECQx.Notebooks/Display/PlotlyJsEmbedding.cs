namespace ECQx.Notebooks;

/// <summary>How chart outputs carry plotly.js in their <c>text/html</c> fallback.</summary>
public enum PlotlyJsEmbedding
{
    /// <summary>
    /// The first chart output of the notebook carries plotly.js (about 3.6 MB); later charts wait for it.
    /// Right for viewers that render all outputs in one page (VS Code, JupyterLab, nbviewer, nbconvert).
    /// </summary>
    OncePerNotebook,

    /// <summary>Every chart output carries plotly.js, so each renders on its own (larger files).</summary>
    EveryFigure,
}
