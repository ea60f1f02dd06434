namespace ECQx.Plots;

/// <summary>One value for one layer in one series (for example the sparsity of <c>layer1.0.conv1</c> under ECQx).</summary>
/// <param name="Layer">Layer name; the x axis keeps the order of first appearance.</param>
/// <param name="Series">Series label (one bar colour per series).</param>
/// <param name="Value">The value.</param>
public sealed record LayerValue(string Layer, string Series, double Value);

/// <summary>One value of one series at one epoch (training curves).</summary>
/// <param name="Series">Series label (one line per series).</param>
/// <param name="Epoch">Epoch number.</param>
/// <param name="Value">The value.</param>
public sealed record EpochValue(string Series, int Epoch, double Value);
