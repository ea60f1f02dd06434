using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace ECQx.Notebooks.Scripting;

/// <summary>
/// Parameter overrides in the papermill style: the first code cell tagged <c>parameters</c> assigns
/// defaults; <c>--param name=value</c> values are assigned in an injected cell right after it, each typed by
/// the variable the parameters cell declared (bool, int, long, float, double, decimal or string).
/// </summary>
public static class NotebookParameters
{
    /// <summary>The tag that marks the parameters cell.</summary>
    public const string ParametersTag = "parameters";

    /// <summary>The tag of the cell the runner injects with the overrides.</summary>
    public const string InjectedTag = "injected-parameters";

    /// <summary>
    /// Parses <c>name=value</c> pairs (split at the first '='; the value may be empty or contain '=').
    /// Throws <see cref="ArgumentException"/> naming the pair for a missing '=', a name that is not a C#
    /// identifier, or a name given twice.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(IEnumerable<string> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var result = new List<KeyValuePair<string, string>>();
        foreach (string pair in pairs)
        {
            int eq = pair.IndexOf('=');
            if (eq < 0) throw new ArgumentException($"Parameter '{pair}' has no '='; write name=value.");
            string name = pair[..eq].Trim();
            if (!SyntaxFacts.IsValidIdentifier(name) || SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
                throw new ArgumentException($"Parameter '{pair}': '{name}' is not a C# variable name.");
            if (result.Any(p => p.Key == name)) throw new ArgumentException($"Parameter '{name}' is given twice.");
            result.Add(new(name, pair[(eq + 1)..]));
        }
        return result;
    }

    /// <summary>
    /// The C# statement <c>name = literal;</c> that assigns <paramref name="value"/> to a variable of type
    /// <paramref name="type"/>. Throws <see cref="ArgumentException"/> when the type is not supported or the
    /// value does not parse as that type.
    /// </summary>
    public static string Assignment(string name, string value, Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        Type t = Nullable.GetUnderlyingType(type) ?? type;
        return $"{name} = {Literal(name, value, t)};";
    }

    /// <summary>The source of the injected cell for the given overrides and the parameters cell's variable types.</summary>
    internal static string InjectedSource(IReadOnlyList<KeyValuePair<string, string>> overrides, IReadOnlyDictionary<string, Type> declared, int parametersCellNumber)
    {
        var sb = new StringBuilder("// Injected by `ecqx notebook run --param`: overrides of the parameters cell.\n");
        foreach (var (name, value) in overrides)
        {
            if (!declared.TryGetValue(name, out Type? type))
                throw new ArgumentException(
                    $"parameter '{name}' is not a variable of the parameters cell (cell {parametersCellNumber}); it declares " +
                    (declared.Count == 0 ? "no variables." : string.Join(", ", declared.Keys) + "."));
            sb.Append(Assignment(name, value, type)).Append('\n');
        }
        return sb.ToString();
    }

    private static string Literal(string name, string value, Type t)
    {
        var inv = CultureInfo.InvariantCulture;
        string v = value.Trim();
        string Bad(string what) => throw new ArgumentException($"parameter '{name}' is {what} in the parameters cell, and '{value}' is not {(what.StartsWith('a') || what.StartsWith('i') ? "an" : "a")} {what}.");
        if (t == typeof(string)) return SymbolDisplay.FormatLiteral(value, quote: true);
        if (t == typeof(bool))
            return bool.TryParse(v, out bool b) ? (b ? "true" : "false") : Bad("bool");
        if (t == typeof(int))
            return int.TryParse(v, NumberStyles.Integer, inv, out int i) ? i.ToString(inv) : Bad("int");
        if (t == typeof(long))
            return long.TryParse(v, NumberStyles.Integer, inv, out long l) ? l.ToString(inv) + "L" : Bad("long");
        if (t == typeof(double))
            return double.TryParse(v, NumberStyles.Float, inv, out double d) && double.IsFinite(d) ? d.ToString("R", inv) + "d" : Bad("double");
        if (t == typeof(float))
            return float.TryParse(v, NumberStyles.Float, inv, out float f) && float.IsFinite(f) ? f.ToString("R", inv) + "f" : Bad("float");
        if (t == typeof(decimal))
            return decimal.TryParse(v, NumberStyles.Float, inv, out decimal m) ? m.ToString(inv) + "m" : Bad("decimal");
        throw new ArgumentException(
            $"parameter '{name}' has type {t.Name} in the parameters cell; only bool, int, long, float, double, decimal and string can be set with --param.");
    }
}
