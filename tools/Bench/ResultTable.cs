using Spectre.Console;

namespace RawDiffusion.Bench;

/// <summary>A table of already formatted cells that renders both to the console and to markdown.</summary>
internal sealed class ResultTable(params string[] columns)
{
    private readonly List<string[]> rows = [];

    public void AddRow(params string[] cells)
    {
        if (cells.Length != columns.Length)
        {
            throw new ArgumentException($"Expected {columns.Length} cells, got {cells.Length}.", nameof(cells));
        }

        rows.Add(cells);
    }

    public Table ToConsoleTable(string title)
    {
        var table = new Table { Title = new TableTitle(title) };
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
        }

        foreach (string[] row in rows)
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }

        return table;
    }

    public string ToMarkdown()
    {
        var lines = new List<string>
        {
            "| " + string.Join(" | ", columns) + " |",
            "|" + string.Concat(columns.Select(_ => "---:|")),
        };
        lines.AddRange(rows.Select(row => "| " + string.Join(" | ", row) + " |"));
        return string.Join('\n', lines);
    }
}
