using Markdig.Extensions.Tables;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;

namespace HelpBuilder;

public enum TextKind { Paragraph, ListItem, Code, Table, Heading }

/// <summary>One block of help text, already plain: a paragraph, one list item (or a further
/// paragraph inside one), a code block with its lines, a table's cells, or a heading.</summary>
public sealed class TextBlock
{
    public required TextKind Kind { get; init; }
    /// <summary>Markdig's 0-based line, for messages.</summary>
    public required int Line { get; init; }
    /// <summary>Plain text: a paragraph's lines joined by spaces; a code block's lines joined by "\n".</summary>
    public string Text { get; init; } = "";
    /// <summary>Heading level (1-6).</summary>
    public int Level { get; init; }
    /// <summary>A fenced code block's info string ("powershell", "output", "yaml", or ""); null for indented code.</summary>
    public string? Language { get; init; }
    /// <summary>List items: "- " or "1. " before the first paragraph of an item, "" before the others.</summary>
    public string Marker { get; init; } = "";
    /// <summary>List items: spaces before the marker (nested lists and continued items).</summary>
    public int Indent { get; init; }
    /// <summary>Tables: the header row first, each cell plain text.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows { get; init; } = [];

    public bool IsCode(params string[] languages) =>
        Kind == TextKind.Code && Language is not null && languages.Contains(Language, StringComparer.OrdinalIgnoreCase);
}

/// <summary>Flattens Markdig's block tree into <see cref="TextBlock"/>s, reporting blocks that have
/// no meaning in help (raw HTML).</summary>
public static class TextBlocks
{
    public static List<TextBlock> From(IEnumerable<Block> blocks, PageErrors errors)
    {
        var result = new List<TextBlock>();
        foreach (var block in blocks) Add(result, block, 0, errors);
        return result;
    }

    private static void Add(List<TextBlock> result, Block block, int indent, PageErrors errors)
    {
        switch (block)
        {
            case YamlFrontMatterBlock:
            case LinkReferenceDefinitionGroup:
            case ThematicBreakBlock:
            case BlankLineBlock:
                break;
            case HeadingBlock heading:
                result.Add(new TextBlock { Kind = TextKind.Heading, Line = block.Line, Level = heading.Level, Text = PlainText.Of(heading) });
                break;
            case FencedCodeBlock fenced:
                result.Add(new TextBlock { Kind = TextKind.Code, Line = block.Line, Language = fenced.Info ?? "", Text = CodeText(fenced) });
                break;
            case CodeBlock code:
                result.Add(new TextBlock { Kind = TextKind.Code, Line = block.Line, Language = null, Text = CodeText(code) });
                break;
            case HtmlBlock:
                errors.Add(block.Line, "raw HTML has no place in help; write it as text, or as code in a fence.");
                break;
            case ParagraphBlock paragraph when indent > 0:
                // Only reached for paragraphs inside list items after the first (see ListBlock).
                result.Add(new TextBlock { Kind = TextKind.ListItem, Line = block.Line, Indent = indent, Text = PlainText.Of(paragraph) });
                break;
            case ParagraphBlock paragraph:
                result.Add(new TextBlock { Kind = TextKind.Paragraph, Line = block.Line, Text = PlainText.Of(paragraph) });
                break;
            case Table table:
                result.Add(new TextBlock { Kind = TextKind.Table, Line = block.Line, Rows = TableRows(table) });
                break;
            case ListBlock list:
                foreach (var item in list.OfType<ListItemBlock>())
                {
                    var marker = list.IsOrdered ? $"{item.Order}{list.OrderedDelimiter} " : "- ";
                    var first = true;
                    foreach (var child in item)
                    {
                        if (first && child is ParagraphBlock paragraph)
                        {
                            result.Add(new TextBlock { Kind = TextKind.ListItem, Line = child.Line, Indent = indent, Marker = marker, Text = PlainText.Of(paragraph) });
                        }
                        else
                        {
                            Add(result, child, indent + marker.Length, errors);
                        }
                        first = false;
                    }
                }
                break;
            case ContainerBlock container:
                // Block quotes and the like: their content, as if it stood alone.
                foreach (var child in container) Add(result, child, indent, errors);
                break;
            default:
                errors.Add(block.Line, $"a {block.GetType().Name} cannot be turned into help text.");
                break;
        }
    }

    private static string CodeText(LeafBlock code) =>
        string.Join('\n', code.Lines.Lines.Take(code.Lines.Count).Select(l => l.ToString()));

    private static List<IReadOnlyList<string>> TableRows(Table table) =>
        table.OfType<TableRow>()
            .Select(row => (IReadOnlyList<string>)row.OfType<TableCell>()
                .Select(cell => string.Join(' ', cell.OfType<ParagraphBlock>().Select(PlainText.Of)).Trim())
                .ToList())
            .ToList();

    /// <summary>A table as aligned columns: cells padded to the widest of their column and two
    /// spaces apart, the header underlined with dashes.</summary>
    public static List<string> FormatTable(IReadOnlyList<IReadOnlyList<string>> rows, string indent)
    {
        var lines = new List<string>();
        if (rows.Count == 0) return lines;
        var columns = rows.Max(r => r.Count);
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => c < r.Count ? r[c].Length : 0)).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            var cells = rows[r].Select((cell, c) => cell.PadRight(widths[c]));
            lines.Add((indent + string.Join("  ", cells)).TrimEnd());
            if (r == 0) lines.Add(indent + string.Join("  ", widths.Select(w => new string('-', w))));
        }
        return lines;
    }
}
