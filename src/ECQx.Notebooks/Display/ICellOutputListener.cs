using ECQx.Notebooks.Nbformat;

namespace ECQx.Notebooks;

/// <summary>
/// Receives a running cell's outputs as they happen (the kernel publishes them to the client at once);
/// calls arrive in output order, under the capture's lock, so implementations only queue and return.
/// </summary>
internal interface ICellOutputListener
{
    /// <summary>Text written to <c>stdout</c> or <c>stderr</c>.</summary>
    void Stream(string name, string text);

    /// <summary>A new displayed value with the id its handle updates.</summary>
    void Display(MimeBundle bundle, string displayId);

    /// <summary>A displayed value replaced through its handle.</summary>
    void UpdateDisplay(MimeBundle bundle, string displayId);
}
