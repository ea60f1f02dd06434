namespace ECQx.Notebooks;

/// <summary>
/// Trusted HTML to display as it is (MIME type <c>text/html</c>). Notebook cells create it with the
/// global <c>HTML("...")</c>, which is also what Polyglot Notebooks offers, so the same cell works in both.
/// </summary>
/// <param name="Content">The HTML markup.</param>
public sealed record Html(string Content)
{
    /// <summary>The markup itself.</summary>
    public override string ToString() => Content;
}
