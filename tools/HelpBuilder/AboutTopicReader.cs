using System.Text.RegularExpressions;

namespace HelpBuilder;

/// <summary>Checks an about topic against the platyPS about schema ("# about_Name", an optional
/// "## about_Name", "# SHORT DESCRIPTION", "# LONG DESCRIPTION", then any sections) and reads it.</summary>
public static partial class AboutTopicReader
{
    private static readonly string[] RequiredSections = ["SHORT DESCRIPTION", "LONG DESCRIPTION"];

    [GeneratedRegex(@"^about_\w+$")]
    private static partial Regex TopicName();

    public static AboutTopic? Read(string path, PageErrors errors)
    {
        var document = MarkdownSource.Parse(File.ReadAllText(path), errors);
        var blocks = TextBlocks.From(document, errors);
        if (blocks.Count < 2 || blocks[0] is not { Kind: TextKind.Heading, Level: 1 } first || !TopicName().IsMatch(first.Text))
        {
            errors.Add(blocks.Count > 0 ? blocks[0].Line : -1, "an about topic starts with '# about_Name'.");
            return null;
        }
        var name = first.Text;
        if (name != Path.GetFileNameWithoutExtension(path))
        {
            errors.Add(first.Line, $"the heading '# {name}' does not name the page's file, {Path.GetFileName(path)}.");
        }
        var start = blocks[1] is { Kind: TextKind.Heading, Level: 2 } second && second.Text == name ? 2 : 1;
        var body = blocks.Skip(start).ToList();
        foreach (var required in RequiredSections)
        {
            if (!body.Any(b => b is { Kind: TextKind.Heading, Level: 1 } && b.Text.Equals(required, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add(-1, $"no '# {required}' heading.");
            }
        }
        return errors.Any ? null : new AboutTopic(Path.GetFileName(path), name, body);
    }
}
