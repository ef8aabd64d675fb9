using Markdig.Extensions.Yaml;
using Markdig.Syntax;

namespace HelpBuilder;

/// <summary>The YAML front matter of a cmdlet page (external help file, Module Name, online
/// version, schema), read with YamlDotNet.</summary>
public static class FrontMatter
{
    public static IReadOnlyDictionary<string, string> Read(MarkdownDocument document, PageErrors errors)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (document.FirstOrDefault() is not YamlFrontMatterBlock block)
        {
            errors.Add(0, "the page has no front matter ('---' lines with external help file, Module Name and schema).");
            return values;
        }
        // The block's lines are what lies between the two '---' lines; the first is line block.Line.
        var yaml = string.Join('\n', block.Lines.Lines.Take(block.Lines.Count).Select(l => l.ToString()));
        // YamlDotNet itself refuses a key given twice.
        foreach (var (key, value, _) in YamlMap.Read(yaml, block.Line + 1, "front matter", errors)) values[key] = value;
        return values;
    }
}
