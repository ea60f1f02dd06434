using System.Runtime.CompilerServices;

namespace ECQx.Coding.Nnr;

/// <summary>
/// One adaptive binary context of the NNR DeepCABAC engine: a fast (8-bit) and a slow estimate, kept as the fast one
/// and the combined value <c>slow + 16 · fast</c> (16-bit), with per-context adaptation shifts chosen by one of the
/// <see cref="NnrTables.InitializationCount"/> initialisations. The sign of the combined value is the most probable
/// bin; its magnitude picks the LPS sub-range.
/// </summary>
internal struct NnrContext
{
    private short _combined;
    private sbyte _fast;
    private byte _fastShift;
    private byte _slowShift;
    private byte _initialization;

    /// <summary>A context in initialisation <paramref name="initialization"/> (0..8).</summary>
    internal static NnrContext Create(int initialization)
    {
        var c = new NnrContext();
        c.Initialize(initialization);
        return c;
    }

    /// <summary>Sets the adaptation shifts and the estimates of initialisation <paramref name="initialization"/>.</summary>
    internal void Initialize(int initialization)
    {
        var init = NnrTables.Initializations[initialization];
        _initialization = (byte)initialization;
        _fastShift = (byte)(init.FastShift + 4);
        _slowShift = init.SlowShift;
        _combined = init.Combined;
        _fast = init.Fast;
    }

    /// <summary>Returns the estimates to those of the current initialisation (shifts unchanged).</summary>
    internal void Reset()
    {
        var init = NnrTables.Initializations[_initialization];
        _combined = init.Combined;
        _fast = init.Fast;
    }

    /// <summary>The most probable bin.</summary>
    internal readonly int MostProbableBin
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _combined >= 0 ? 1 : 0;
    }

    /// <summary>Probability class 0..31 (0 = equiprobable) of the current estimate.</summary>
    internal readonly int ProbabilityClass
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Math.Min(31, Math.Abs(_combined >> 7));
    }

    /// <summary>The LPS sub-range for the coder's current <paramref name="range"/> (256..510).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly uint RangeLps(uint range) => NnrTables.RangeLps[Math.Min(255, Math.Abs(_combined >> 7) + (int)(range & 0xE0))];

    /// <summary>Moves both estimates towards <paramref name="bin"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Update(int bin)
    {
        int slow = _combined - _fast * 16;
        int sign = bin != 0 ? 1 : -1;
        var curve = NnrTables.AdaptationCurve;
        int fast = _fast + sign * (curve[16 + ((sign * _fast) >> 3)] >> _fastShift);
        slow += sign * (curve[Math.Clamp(16 + ((sign * slow) >> 7), 0, 31)] >> _slowShift);
        _fast = (sbyte)fast;
        _combined = (short)(slow + 16 * (sbyte)fast);
    }
}
