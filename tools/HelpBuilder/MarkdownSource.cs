using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;

namespace HelpBuilder;

/// <summary>Parses one markdown file with Markdig (CommonMark, plus YAML front matter and pipe
/// tables, the two extensions the platyPS schema uses) and reports what CommonMark accepts but a
/// help page cannot be: code fences that are never closed and front matter that is never closed.</summary>
public static class MarkdownSource
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseYamlFrontMatter()
        .UsePipeTables()
        .Build();

    public static MarkdownDocument Parse(string text, PageErrors errors)
    {
        var document = Markdown.Parse(text, Pipeline);
        // Markdig closes an open front matter or fence at the end of the file, as CommonMark
        // says; for help that is always a mistake that swallows the rest of the page.
        if (StartsWithFrontMatterFence(text) && document.FirstOrDefault() is not YamlFrontMatterBlock)
        {
            errors.Add(0, "the front matter opened with '---' is never closed.");
        }
        foreach (var fence in document.Descendants<FencedCodeBlock>())
        {
            if (fence.ClosingFencedCharCount == 0)
            {
                var opening = new string(fence.FencedChar, fence.OpeningFencedCharCount) + fence.Info;
                errors.Add(fence.Line, $"the code fence {opening} is never closed.");
            }
        }
        return document;
    }

    private static bool StartsWithFrontMatterFence(string text)
    {
        var end = text.IndexOf('\n');
        var first = (end < 0 ? text : text[..end]).TrimEnd('\r');
        return first.TrimEnd() == "---";
    }
}
