using System.Text;

namespace HelpBuilder;

/// <summary>Writes an about topic as the plain text of about_Name.help.txt that Get-Help shows:
/// "# " headings in capitals at the margin, "## " headings as written at the margin, deeper ones
/// in capitals indented four spaces; text wrapped at 80 columns and indented four spaces (list
/// items with a hanging indent); tables as aligned columns; code indented eight spaces.</summary>
public static class AboutWriter
{
    private const int Width = 80;
    private const string Indent = "    ";

    public static void Write(AboutTopic topic, string path) =>
        File.WriteAllText(path, Render(topic), new UTF8Encoding(false));

    public static string Render(AboutTopic topic)
    {
        var output = new List<string> { "TOPIC", Indent + topic.Name, "" };
        TextKind? previous = null;
        void Separate() { if (output[^1].Length > 0) output.Add(""); }
        foreach (var block in topic.Blocks)
        {
            switch (block.Kind)
            {
                case TextKind.Heading:
                    Separate();
                    output.Add(block.Level switch
                    {
                        1 => block.Text.ToUpperInvariant(),
                        2 => block.Text,
                        _ => Indent + block.Text.ToUpperInvariant(),
                    });
                    break;
                case TextKind.Paragraph:
                    if (previous == TextKind.ListItem) Separate();
                    output.AddRange(Wrap(block.Text, Indent, Indent));
                    output.Add("");
                    break;
                case TextKind.ListItem:
                    var first = Indent + new string(' ', block.Indent);
                    output.AddRange(Wrap(block.Marker + block.Text, first, first + new string(' ', block.Marker.Length)));
                    break;
                case TextKind.Table:
                    Separate();
                    output.AddRange(TextBlocks.FormatTable(block.Rows, Indent));
                    output.Add("");
                    break;
                case TextKind.Code:
                    Separate();
                    output.AddRange(block.Text.Split('\n').Select(line => (Indent + Indent + line).TrimEnd()));
                    output.Add("");
                    break;
            }
            previous = block.Kind;
        }
        while (output.Count > 0 && output[^1].Length == 0) output.RemoveAt(output.Count - 1);
        return string.Join('\n', output) + "\n";
    }

    private static List<string> Wrap(string text, string indent, string hangingIndent) =>
        LineFill.Fill(text, indent, hangingIndent, Width);
}
