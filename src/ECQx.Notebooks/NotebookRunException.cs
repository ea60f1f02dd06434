namespace ECQx.Notebooks;

/// <summary>A notebook that cannot be run at all (for example, parameters given but no cell tagged <c>parameters</c>).</summary>
public sealed class NotebookRunException : Exception
{
    /// <summary>Creates the exception with a message that names the notebook and the problem.</summary>
    public NotebookRunException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying error.</summary>
    public NotebookRunException(string message, Exception inner) : base(message, inner) { }
}
