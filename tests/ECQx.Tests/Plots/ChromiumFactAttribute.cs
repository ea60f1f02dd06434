using Xunit;

namespace ECQx.Tests.Plots;

/// <summary>
/// A fact that needs headless Chromium at <see cref="HeadlessChromium.ExecutablePath"/>; without it the test
/// is reported as skipped, with the reason, instead of failing or silently passing.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists(HeadlessChromium.ExecutablePath))
            Skip = $"Headless Chromium is not installed at {HeadlessChromium.ExecutablePath} (apt-get install chromium); the in-browser rendering check is skipped.";
    }
}
