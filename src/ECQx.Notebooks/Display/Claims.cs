using System.Net;
using System.Text.Json.Nodes;
using ECQx.Notebooks.Nbformat;

namespace ECQx.Notebooks;

/// <summary>
/// A sentence a notebook says about its own run ("ECQx is ahead of ECQ at matched sparsity"), with whether the run bears it out
/// and the numbers that decide it.
/// </summary>
/// <param name="Statement">The sentence, as the reader sees it.</param>
/// <param name="Holds">Whether this run bears the sentence out.</param>
/// <param name="Evidence">The numbers of this run that decide it (e.g. "ECQx − ECQ = +12.3 ± 2.1 points over 3 seeds").</param>
public sealed record NotebookClaim(string Statement, bool Holds, string Evidence);

/// <summary>
/// Claims checked against the run that makes them. A notebook cell states what a figure shows with the global
/// <c>claim(statement, holds, evidence)</c>: the claim is shown under the figure (✓ when the run bears it out, ✗ with "not in this
/// run" when it does not) and recorded in the executed notebook as a <see cref="MimeType"/> output, so that
/// <c>ecqx notebook run</c> reports claims that fail and the notebook tests can assert that every claim of a quick run holds.
/// A claim never stops the notebook: a user who changes the parameters may legitimately falsify it, and then sees so.
/// </summary>
public static class Claims
{
    /// <summary>The MIME type of a claim's record in a display output: <c>{"statement", "holds", "evidence"}</c>.</summary>
    public const string MimeType = "application/vnd.ecqx.claim+json";

    /// <summary>The MIME type of a run description in a display output: <c>{"run": "…"}</c> (see <see cref="DescribeRun"/>).</summary>
    public const string RunMimeType = "application/vnd.ecqx.run+json";

    /// <summary>
    /// Shows and records what run made this notebook's figures (mode, data, seeds), e.g. "quick mode; bundled Fashion-MNIST sample
    /// (10,000 train / 2,000 test); seeds 1, 2, 3". The figure gallery captions each figure with it.
    /// </summary>
    public static string DescribeRun(string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        string text = description.Trim();
        Display.Show(new MimeBundle()
            .SetText("text/html", $"<p style=\"color:#57606a\"><b>This run:</b> {WebUtility.HtmlEncode(text)}</p>")
            .SetText("text/plain", "This run: " + text)
            .SetJson(RunMimeType, new JsonObject { ["run"] = text }));
        return text;
    }

    /// <summary>The last run description recorded in an executed notebook (<see cref="DescribeRun"/>), or null.</summary>
    public static string? RunOf(NotebookDocument executed)
    {
        ArgumentNullException.ThrowIfNull(executed);
        return executed.Cells.OfType<JsonObject>().Where(c => c["outputs"] is JsonArray)
            .SelectMany(c => ((JsonArray)c["outputs"]!).OfType<JsonObject>())
            .Select(o => (o["data"] as JsonObject)?[RunMimeType]?["run"])
            .Where(n => n is JsonValue v && v.TryGetValue(out string? _))
            .Select(n => n!.GetValue<string>()).LastOrDefault();
    }

    /// <summary>Shows <paramref name="statement"/> as holding or not in this run, with <paramref name="evidence"/>, and returns it.</summary>
    public static NotebookClaim Check(string statement, bool holds, string evidence)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(statement);
        var claim = new NotebookClaim(statement.Trim(), holds, evidence?.Trim() ?? "");
        Display.Show(Bundle(claim));
        return claim;
    }

    /// <summary>The display bundle of a claim: HTML and plain text for readers, <see cref="MimeType"/> for tools.</summary>
    public static MimeBundle Bundle(NotebookClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        string evidence = claim.Evidence.Length == 0 ? "" : " — " + claim.Evidence;
        string html = claim.Holds
            ? $"<p style=\"color:#1a7f37\">✓ {WebUtility.HtmlEncode(claim.Statement)}<span style=\"color:#57606a\">{WebUtility.HtmlEncode(evidence)}</span></p>"
            : $"<p style=\"color:#cf222e\">✗ <b>Not in this run:</b> {WebUtility.HtmlEncode(claim.Statement)}<span style=\"color:#57606a\">{WebUtility.HtmlEncode(evidence)}</span></p>";
        return new MimeBundle()
            .SetText("text/html", html)
            .SetText("text/plain", (claim.Holds ? "✓ " : "✗ not in this run: ") + claim.Statement + evidence)
            .SetJson(MimeType, new JsonObject { ["statement"] = claim.Statement, ["holds"] = claim.Holds, ["evidence"] = claim.Evidence });
    }

    /// <summary>
    /// Every claim recorded in an executed notebook, with the 1-based position of its cell in the file (markdown cells counted).
    /// A malformed claim record is an error naming the cell.
    /// </summary>
    public static IReadOnlyList<(int Cell, NotebookClaim Claim)> In(NotebookDocument executed)
    {
        ArgumentNullException.ThrowIfNull(executed);
        var found = new List<(int, NotebookClaim)>();
        int position = 0;
        foreach (var cell in executed.Cells.Cast<JsonObject>())
        {
            position++;
            if (cell["outputs"] is not JsonArray outputs) continue;
            foreach (var output in outputs.OfType<JsonObject>())
            {
                if (output["data"] is not JsonObject data || data[MimeType] is not JsonNode record) continue;
                found.Add((position, Parse(record, position)));
            }
        }
        return found;
    }

    private static NotebookClaim Parse(JsonNode record, int cell)
    {
        try
        {
            string statement = record["statement"]?.GetValue<string>() ?? throw new InvalidDataException("no 'statement'");
            bool holds = record["holds"]?.GetValue<bool>() ?? throw new InvalidDataException("no 'holds'");
            return new NotebookClaim(statement, holds, record["evidence"]?.GetValue<string>() ?? "");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new InvalidDataException($"cell {cell}: malformed claim record {record.ToJsonString()}: {e.Message}", e);
        }
    }
}
