using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

namespace ECQx.Plots;

/// <summary>
/// A table of strings built from a sequence of records (or any objects): one row per item, one column
/// per public readable property or public field of the item type. Numbers are written with the invariant
/// culture; <see cref="double"/> and <see cref="float"/> with six significant digits.
/// </summary>
public sealed class Table
{
    /// <summary>The column headers (member names).</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The formatted cells, row by row, each row as long as <see cref="Columns"/>.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows { get; }

    /// <summary>How many rows the source had beyond <see cref="Rows"/> (cut at the row limit).</summary>
    public int OmittedRows { get; }

    private Table(IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<string>> rows, int omitted)
    {
        Columns = columns;
        Rows = rows;
        OmittedRows = omitted;
    }

    /// <summary>
    /// Builds the table from <paramref name="items"/>. The columns come from the sequence's element
    /// type when it is known (<see cref="IEnumerable{T}"/>), otherwise from the first non-null item's type.
    /// Scalars (numbers, strings, enums, dates) give a single column named <c>value</c>.
    /// </summary>
    /// <param name="items">The rows.</param>
    /// <param name="maxRows">Rows beyond this are counted in <see cref="OmittedRows"/>, not formatted.</param>
    public static Table From(IEnumerable items, int maxRows = 1000)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items is string) throw new ArgumentException("A string is not a sequence of rows.", nameof(items));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRows);

        var list = new List<object?>();
        int omitted = 0;
        foreach (object? item in items)
        {
            if (list.Count < maxRows) list.Add(item);
            else omitted++;
        }

        Type? elementType = ElementTypeOf(items.GetType());
        if (elementType is null || elementType == typeof(object) || elementType.IsInterface || elementType.IsAbstract)
            elementType = list.FirstOrDefault(i => i is not null)?.GetType() ?? elementType ?? typeof(object);

        if (IsScalar(elementType) || elementType == typeof(object))
        {
            var rows = list.Select(i => (IReadOnlyList<string>)new[] { FormatCell(i) }).ToList();
            return new Table(new[] { "value" }, rows, omitted);
        }

        MemberInfo[] members = ColumnsOf(elementType);
        var formatted = list.Select(item => (IReadOnlyList<string>)members.Select(m => item is null ? "" : FormatCell(ValueOf(m, item))).ToArray()).ToList();
        return new Table(members.Select(m => m.Name).ToArray(), formatted, omitted);
    }

    /// <summary>True when a value of this type is shown as a table by <see cref="From"/> (a sequence that is not a string).</summary>
    public static bool IsTabular(object? value) => value is IEnumerable and not string;

    /// <summary>An HTML <c>&lt;table&gt;</c> with escaped cells (and a caption when given).</summary>
    public string ToHtml(string? caption = null)
    {
        var sb = new StringBuilder("<table class=\"ecqx-table\">");
        if (!string.IsNullOrEmpty(caption)) sb.Append("<caption>").Append(WebUtility.HtmlEncode(caption)).Append("</caption>");
        sb.Append("<thead><tr>");
        foreach (string c in Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (IReadOnlyList<string> row in Rows)
        {
            sb.Append("<tr>");
            foreach (string cell in row) sb.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        if (OmittedRows > 0) sb.Append("<p class=\"ecqx-table-note\">… ").Append(OmittedRows).Append(" more rows not shown</p>");
        return sb.ToString();
    }

    /// <summary>A plain-text table with columns padded to their widest cell, for terminals and <c>text/plain</c>.</summary>
    public string ToText()
    {
        int[] widths = Columns.Select((c, j) => Math.Max(c.Length, Rows.Count == 0 ? 0 : Rows.Max(r => r[j].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(IEnumerable<string> cells) =>
            sb.Append(string.Join("  ", cells.Select((s, j) => s.PadRight(widths[j]))).TrimEnd()).Append('\n');
        Line(Columns);
        Line(widths.Select(w => new string('-', w)));
        foreach (IReadOnlyList<string> row in Rows) Line(row);
        if (OmittedRows > 0) sb.Append("… ").Append(OmittedRows).Append(" more rows\n");
        return sb.ToString();
    }

    /// <summary>Formats one value the way table cells are formatted (invariant culture, <c>G6</c> for floating point).</summary>
    public static string FormatCell(object? value) => value switch
    {
        null => "",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        float f => f.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static bool IsScalar(Type t) =>
        t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTime)
        || t == typeof(DateTimeOffset) || t == typeof(TimeSpan) || t == typeof(Guid)
        || (Nullable.GetUnderlyingType(t) is { } u && IsScalar(u));

    private static Type? ElementTypeOf(Type sequenceType)
    {
        if (sequenceType.IsArray) return sequenceType.GetElementType();
        Type? enumerable = sequenceType.IsGenericType && sequenceType.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? sequenceType
            : sequenceType.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }

    private static MemberInfo[] ColumnsOf(Type t)
    {
        var props = t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetMethod!.IsPublic)
            .Cast<MemberInfo>();
        var fields = t.GetFields(BindingFlags.Public | BindingFlags.Instance).Cast<MemberInfo>();
        // Declaration order (metadata token order) keeps record positional parameters in order.
        return props.Concat(fields).OrderBy(m => m.MetadataToken).ToArray();
    }

    private static object? ValueOf(MemberInfo member, object item)
    {
        try
        {
            return member switch
            {
                PropertyInfo p => p.GetValue(item),
                FieldInfo f => f.GetValue(item),
                _ => null,
            };
        }
        catch (TargetInvocationException e)
        {
            return $"<{e.InnerException?.GetType().Name ?? "error"}>";
        }
    }
}
