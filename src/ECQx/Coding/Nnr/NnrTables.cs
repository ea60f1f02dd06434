namespace ECQx.Coding.Nnr;

/// <summary>
/// The normative constants of the NNR (ISO/IEC 15938-17) DeepCABAC engine that a decoder must share with every
/// encoder: the LPS sub-range table, the adaptation curve and the nine context initialisations an encoder may signal.
/// These are facts of the bitstream format (any other values would decode a different level sequence), written here
/// as data; the code that uses them is this project's own.
/// </summary>
internal static class NnrTables
{
    /// <summary>
    /// LPS sub-range by <c>(range &amp; 0xE0) + |state &gt;&gt; 7|</c>: eight rows of 32 entries, one row per range
    /// interval [256 + 32k, 288 + 32k), one column per probability class (0 ≈ equiprobable, 31 ≈ most skewed).
    /// </summary>
    internal static ReadOnlySpan<byte> RangeLps =>
    [
        128, 112, 97, 84, 74, 65, 57, 50, 45, 39, 34, 30, 27, 23, 20, 18, 15, 14, 12, 11, 10, 9, 7, 7, 5, 5, 4, 4, 3, 3, 2, 2,
        142, 125, 108, 93, 82, 72, 63, 56, 50, 43, 38, 33, 30, 26, 22, 20, 17, 16, 13, 12, 11, 10, 8, 8, 6, 6, 5, 5, 3, 3, 2, 2,
        156, 137, 119, 103, 90, 79, 70, 61, 55, 48, 42, 37, 33, 28, 24, 22, 19, 17, 15, 13, 12, 11, 9, 9, 6, 6, 5, 5, 4, 4, 2, 2,
        171, 150, 130, 112, 99, 87, 76, 67, 60, 52, 46, 40, 36, 31, 27, 24, 21, 19, 16, 15, 13, 12, 10, 10, 7, 7, 6, 6, 4, 4, 3, 3,
        185, 162, 141, 121, 107, 94, 82, 73, 65, 56, 50, 43, 39, 34, 29, 26, 22, 21, 17, 16, 14, 13, 11, 11, 8, 8, 6, 6, 4, 4, 3, 3,
        199, 175, 152, 131, 115, 101, 89, 78, 70, 61, 54, 47, 42, 36, 31, 28, 24, 22, 19, 17, 15, 14, 12, 12, 8, 8, 7, 7, 5, 5, 3, 3,
        213, 187, 163, 140, 123, 108, 95, 84, 75, 65, 58, 50, 45, 39, 33, 30, 26, 24, 20, 18, 16, 15, 13, 13, 9, 9, 7, 7, 5, 5, 3, 3,
        228, 200, 174, 150, 132, 116, 102, 90, 80, 70, 62, 54, 48, 42, 36, 32, 28, 26, 22, 20, 18, 16, 14, 14, 10, 10, 8, 8, 6, 6, 4, 4,
    ];

    /// <summary>Adaptation step by the (scaled, signed) distance of an estimate from the coded bin, index 0..31.</summary>
    internal static ReadOnlySpan<short> AdaptationCurve =>
    [
        2512, 2288, 2064, 1840, 1616, 1392, 1168, 944, 720, 560, 464, 368, 272, 208, 144, 80,
        64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 0,
    ];

    /// <summary>Number of context initialisations an encoder can choose from (index 0 is the default).</summary>
    internal const int InitializationCount = 9;

    /// <summary>Per initialisation: the two adaptation shift offsets and the initial combined and fast estimates.</summary>
    internal static readonly (byte FastShift, byte SlowShift, short Combined, sbyte Fast)[] Initializations =
    [
        (1, 4, 0, 0),
        (1, 4, -1310, -41),
        (1, 4, 3039, 95),
        (0, 5, 0, 0),
        (2, 6, 962, 30),
        (2, 6, 3039, 95),
        (2, 6, -673, -21),
        (3, 5, 0, 0),
        (3, 5, 962, 30),
    ];
}
