using System.Text;
using System.Text.RegularExpressions;

namespace HelpBuilder;

/// <summary>Fills words into lines of at most a given width, for text that Get-Help prints as it
/// is: a terminal cuts longer lines wherever the column ends, in the middle of a word.</summary>
public static partial class LineFill
{
    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^\s*(?:- |\d+[.)] )?")]
    private static partial Regex ListMarker();

    /// <summary>The words of <paramref name="text"/> in lines of at most <paramref name="width"/>
    /// columns, the first after <paramref name="indent"/>, the others after
    /// <paramref name="hangingIndent"/>; a longer word stands alone.</summary>
    public static List<string> Fill(string text, string indent, string hangingIndent, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder(indent);
        var empty = true;
        foreach (var word in Whitespace().Split(text).Where(w => w.Length > 0))
        {
            if (!empty && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString().TrimEnd());
                line.Clear().Append(hangingIndent);
                empty = true;
            }
            if (!empty) line.Append(' ');
            line.Append(word);
            empty = false;
        }
        if (!empty) lines.Add(line.ToString().TrimEnd());
        return lines;
    }

    /// <summary>A paragraph of help (its hard line breaks kept) filled to <paramref name="width"/>;
    /// the later lines of an indented line or a list item line up after its indent and marker.</summary>
    public static string Paragraph(string text, int width) =>
        string.Join('\n', text.Split('\n').SelectMany(line =>
        {
            var marker = ListMarker().Match(line).Value;
            return Fill(line[marker.Length..], marker, new string(' ', marker.Length), width);
        }));
}
