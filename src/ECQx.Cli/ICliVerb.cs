using System.CommandLine;

namespace ECQx.Cli;

/// <summary>
/// One top-level verb of the <c>ecqx</c> command. Verbs are discovered by reflection, so adding a verb
/// is adding one file under <c>Verbs/</c>.
/// </summary>
public interface ICliVerb
{
    /// <summary>Builds the verb's command, with its options and action.</summary>
    Command Build();
}
