namespace ECQx.Training;

/// <summary>
/// Early stopping on test accuracy within one phase: the first observed accuracy sets the reference; an epoch
/// counts as bad when it does not beat the best by <see cref="MinDelta"/> points; after <see cref="Patience"/>
/// bad epochs in a row (0 = never) the phase stops. NaN accuracies (no test set) are ignored.
/// </summary>
public sealed class EarlyStopping
{
    /// <summary>Creates the rule with its patience and minimum improvement (in accuracy points).</summary>
    public EarlyStopping(int patience, double minDelta)
    {
        Patience = patience;
        MinDelta = minDelta;
    }

    /// <summary>Bad epochs in a row after which the phase stops (0 = never).</summary>
    public int Patience { get; }
    /// <summary>Improvement (points) an epoch needs over the best to reset the bad-epoch count.</summary>
    public double MinDelta { get; }
    /// <summary>Best accuracy of the phase so far (NaN before the first).</summary>
    public double Best { get; private set; } = double.NaN;
    /// <summary>Bad epochs in a row.</summary>
    public int BadEpochs { get; private set; }
    /// <summary>Whether the patience ran out.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Records one epoch's accuracy; returns whether it is a new best (always true for the first).</summary>
    public bool Observe(double accuracy)
    {
        if (double.IsNaN(accuracy)) return false;
        bool improved = double.IsNaN(Best) || accuracy > Best;
        if (double.IsNaN(Best)) { Best = accuracy; return improved; }
        if (accuracy < Best + MinDelta) BadEpochs++; else BadEpochs = 0;
        if (accuracy > Best) Best = accuracy;
        if (Patience > 0 && BadEpochs >= Patience) Stopped = true;
        return improved;
    }

    /// <summary>Starts a new phase: no best yet, no bad epochs (a stop already recorded stays until <see cref="ClearStop"/>).</summary>
    public void ResetPhase() { Best = double.NaN; BadEpochs = 0; }

    /// <summary>Forgets a recorded stop (a stopped pre-training phase hands over to quantization).</summary>
    public void ClearStop() => Stopped = false;

    /// <summary>Restores the state saved in a checkpoint.</summary>
    public void Restore(double best, int badEpochs, bool stopped) { Best = best; BadEpochs = badEpochs; Stopped = stopped; }
}
