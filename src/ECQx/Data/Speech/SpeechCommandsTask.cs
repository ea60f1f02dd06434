namespace ECQx.Data.Speech;

/// <summary>Which classification task to build from Speech Commands.</summary>
public enum SpeechCommandsTask
{
    /// <summary>
    /// The standard 12-class keyword-spotting task: <c>yes, no, up, down, left, right, on, off, stop, go</c>,
    /// <c>_silence_</c> (background noise only) and <c>_unknown_</c> (any other word), labels in that order.
    /// </summary>
    Keywords12,

    /// <summary>Every word folder is a class (35 in v0.02, 30 in v0.01), labels in ordinal order of the names.</summary>
    AllWords,
}

/// <summary>Class lists of the tasks.</summary>
public static class SpeechCommandsClasses
{
    /// <summary>Label of silence examples.</summary>
    public const string Silence = "_silence_";

    /// <summary>Label of non-keyword words.</summary>
    public const string Unknown = "_unknown_";

    /// <summary>The ten keywords of the 12-class task.</summary>
    public static IReadOnlyList<string> Keywords { get; } = new[] { "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go" };

    /// <summary>The 12 class names in label order.</summary>
    public static IReadOnlyList<string> Keywords12 { get; } = Keywords.Append(Silence).Append(Unknown).ToArray();
}
