using Xunit;

namespace ECQx.Tests;

/// <summary>
/// Tests that depend on process-global state run in this collection, one at a time and never alongside the
/// parallel test classes: libtorch's default CPU generator (the trainer seeds it and checkpoints its state, and
/// model initialisation draws from it, so a parallel test drawing random numbers would change what a seeded run
/// sees), the current directory (notebook runs execute cells in the notebook's folder), the contents of freed native
/// memory (<c>SafeConvolutionTests</c> fills it with NaN) and the process's committed managed memory (<c>NativeHeapTests</c>).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalStateCollection
{
    /// <summary>The collection's name for <c>[Collection(GlobalStateCollection.Name)]</c>.</summary>
    public const string Name = "process-global state (torch default generator, current directory)";
}
