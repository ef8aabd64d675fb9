using System.Text;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace HelpBuilder;

/// <summary>Turns Markdig's inlines into the plain text help shows: code spans keep their content,
/// emphasis its words, links their text (with the address in parentheses when it leads outside
/// the docs), soft line breaks become spaces and hard ones new lines. No markdown is left.</summary>
public static class PlainText
{
    public static string Of(LeafBlock block) => block.Inline is null ? "" : Of(block.Inline);

    public static string Of(ContainerInline inline) => Of(inline, false);

    /// <summary>A link's own text, without its address.</summary>
    public static string Label(LinkInline link) => Of(link, true);

    private static string Of(ContainerInline inline, bool childrenOnly)
    {
        var text = new StringBuilder();
        if (childrenOnly) AppendChildren(text, inline);
        else Append(text, inline);
        // A paragraph's lines are joined by single spaces and nothing trails a line.
        var lines = text.ToString().Split('\n').Select(l => l.Trim());
        return string.Join('\n', lines);
    }

    private static void Append(StringBuilder text, Inline inline)
    {
        switch (inline)
        {
            case LiteralInline literal:
                text.Append(literal.Content.AsSpan());
                break;
            case CodeInline code:
                text.Append(code.Content);
                break;
            case AutolinkInline autolink:
                text.Append(autolink.IsEmail ? autolink.Url.Replace("mailto:", "", StringComparison.OrdinalIgnoreCase) : autolink.Url);
                break;
            case HtmlEntityInline entity:
                text.Append(entity.Transcoded.AsSpan());
                break;
            case LineBreakInline lineBreak:
                while (text.Length > 0 && text[^1] is ' ' or '\t') text.Length--;
                text.Append(lineBreak.IsHard ? '\n' : ' ');
                break;
            case HtmlInline html:
                // Raw HTML means nothing to Get-Help; what the author typed is the best guess.
                text.Append(html.Tag);
                break;
            case LinkInline link:
                var start = text.Length;
                AppendChildren(text, link);
                var label = text.ToString(start, text.Length - start).Trim();
                var url = link.GetDynamicUrl?.Invoke() ?? link.Url ?? "";
                if (!link.IsImage && IsExternal(url) && label != url) text.Append(" (").Append(url).Append(')');
                break;
            case ContainerInline container:
                AppendChildren(text, container);
                break;
            default:
                text.Append(inline.ToString());
                break;
        }
    }

    private static void AppendChildren(StringBuilder text, ContainerInline container)
    {
        foreach (var child in container) Append(text, child);
    }

    /// <summary>An address a reader can follow from a terminal; links to sibling pages are not.</summary>
    public static bool IsExternal(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "mailto" or "ftp";
}
