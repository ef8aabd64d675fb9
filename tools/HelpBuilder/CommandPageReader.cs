using System.Text.RegularExpressions;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace HelpBuilder;

/// <summary>Checks a cmdlet page against the platyPS schema 2.0.0 and reads it into a
/// <see cref="CommandPage"/>. Every problem is reported with the page's name and line; a page with
/// any problem gives no model, so that a broken page fails the build instead of shipping half.</summary>
public static partial class CommandPageReader
{
    public static readonly string[] SectionOrder =
        ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    private static readonly string[] FrontMatterKeys = ["external help file", "Module Name", "schema"];

    private static readonly string[] PowerShellLanguages = ["powershell", "ps", "ps1", "pwsh", ""];

    private sealed class Section(string title, int line)
    {
        public string Title { get; } = title;
        public int Line { get; } = line;
        public List<Block> Intro { get; } = [];
        public List<Sub> Subs { get; } = [];
    }

    private sealed class Sub(string title, int line)
    {
        public string Title { get; } = title;
        public int Line { get; } = line;
        public List<Block> Blocks { get; } = [];
    }

    [GeneratedRegex(@"^-(\w+)$")]
    private static partial Regex ParameterHeading();

    // A parameter in a syntax line: "-Name" not inside a word or a "<Type>".
    [GeneratedRegex(@"(?<![\w<])-(\w+)")]
    private static partial Regex SyntaxParameter();

    [GeneratedRegex(@"\s*\(Default\)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex DefaultMark();

    [GeneratedRegex(@"^[\w.-]+\.md$")]
    private static partial Regex SiblingPage();

    public static CommandPage? Read(string path, PageErrors errors)
    {
        var document = MarkdownSource.Parse(File.ReadAllText(path), errors);
        var front = FrontMatter.Read(document, errors);
        if (document.FirstOrDefault() is YamlFrontMatterBlock)
        {
            foreach (var key in FrontMatterKeys)
            {
                if (!front.TryGetValue(key, out var value) || value.Length == 0) errors.Add(0, $"the front matter has no '{key}'.");
            }
            if (front.TryGetValue("schema", out var schema) && schema.Length > 0 && schema != "2.0.0")
            {
                errors.Add(0, $"the front matter says 'schema: {schema}'; these pages are platyPS schema 2.0.0.");
            }
        }

        var (name, nameLine, sections) = Structure(document, errors);
        if (name is not null && name != Path.GetFileNameWithoutExtension(path))
        {
            errors.Add(nameLine, $"the heading '# {name}' does not name the page's file, {Path.GetFileName(path)}.");
        }
        foreach (var required in SectionOrder)
        {
            if (!sections.ContainsKey(required)) errors.Add(-1, $"no '## {required}' section.");
        }
        var last = -1;
        foreach (var section in sections.Values.OrderBy(s => s.Line))
        {
            var index = Array.IndexOf(SectionOrder, section.Title);
            if (index < last) errors.Add(section.Line, $"'## {section.Title}' comes after '## {SectionOrder[last]}'; the order is {string.Join(", ", SectionOrder)}.");
            last = Math.Max(last, index);
        }

        Section? Get(string title) => sections.GetValueOrDefault(title);
        var synopsis = Synopsis(Get("SYNOPSIS"), errors);
        var parameters = Parameters(Get("PARAMETERS"), errors);
        var syntax = Syntax(Get("SYNTAX"), parameters, errors);
        var description = TitledText(Get("DESCRIPTION"), errors);
        if (Get("DESCRIPTION") is { } d && description.Count == 0) errors.Add(d.Line, "'## DESCRIPTION' is empty.");
        var examples = Examples(Get("EXAMPLES"), errors);
        var inputs = Types(Get("INPUTS"), errors);
        var outputs = Types(Get("OUTPUTS"), errors);
        var notes = TitledText(Get("NOTES"), errors);
        var links = Links(Get("RELATED LINKS"), errors);

        if (errors.Any || name is null) return null;
        return new CommandPage(
            File: Path.GetFileName(path),
            Name: name,
            HelpFile: front["external help file"],
            ModuleName: front["Module Name"],
            Schema: front["schema"],
            OnlineVersion: front.TryGetValue("online version", out var online) && online.Length > 0 ? online : null,
            Synopsis: synopsis,
            Description: description,
            Syntax: syntax,
            Parameters: parameters,
            Examples: examples,
            Inputs: inputs,
            Outputs: outputs,
            Notes: notes,
            Links: links);
    }

    /// <summary>"# Name", then "## SECTION"s, each with text and "### Sub"s; headings of level 4
    /// and more are text.</summary>
    private static (string? Name, int NameLine, Dictionary<string, Section> Sections) Structure(MarkdownDocument document, PageErrors errors)
    {
        string? name = null;
        var nameLine = 0;
        var sections = new Dictionary<string, Section>(StringComparer.OrdinalIgnoreCase);
        Section? current = null;
        Sub? sub = null;
        foreach (var block in document)
        {
            if (block is YamlFrontMatterBlock or LinkReferenceDefinitionGroup or BlankLineBlock) continue;
            if (block is HeadingBlock { Level: <= 3 } heading)
            {
                var title = PlainText.Of(heading);
                switch (heading.Level)
                {
                    case 1 when name is null && current is null:
                        (name, nameLine) = (title, heading.Line);
                        break;
                    case 1:
                        errors.Add(heading.Line, $"a second '# ' heading ('# {title}'); a page has one, the cmdlet's name, at the top.");
                        break;
                    case 2:
                        var key = title.ToUpperInvariant();
                        current = new Section(key, heading.Line);
                        sub = null;
                        if (!SectionOrder.Contains(key))
                        {
                            errors.Add(heading.Line, $"'## {title}' is not a section of the platyPS schema ({string.Join(", ", SectionOrder)}).");
                        }
                        else if (!sections.TryAdd(key, current))
                        {
                            errors.Add(heading.Line, $"'## {key}' appears twice.");
                        }
                        break;
                    default:
                        if (current is null)
                        {
                            errors.Add(heading.Line, $"'### {title}' stands before any '## SECTION'.");
                            break;
                        }
                        sub = new Sub(title, heading.Line);
                        current.Subs.Add(sub);
                        break;
                }
                continue;
            }
            if (current is null)
            {
                errors.Add(block.Line, name is null
                    ? "text before the '# Command-Name' heading."
                    : $"text between '# {name}' and '## SYNOPSIS'; it belongs in a section.");
                continue;
            }
            (sub?.Blocks ?? current.Intro).Add(block);
        }
        if (name is null) errors.Add(-1, "no '# Command-Name' heading.");
        return (name, nameLine, sections);
    }

    // Get-Help indents text by up to eight columns and prints each line as it is, cutting longer
    // ones wherever the terminal ends: prose in lines of 72 fits 80 columns with no word cut.
    private const int ParagraphWidth = 72;

    /// <summary>A block as one MAML paragraph: prose filled to <see cref="ParagraphWidth"/>
    /// columns (a list item's later lines after its marker), code and tables with their lines.</summary>
    public static string Paragraph(TextBlock block) => block.Kind switch
    {
        TextKind.Paragraph => LineFill.Paragraph(block.Text, ParagraphWidth),
        TextKind.ListItem => LineFill.Paragraph(new string(' ', block.Indent) + block.Marker + block.Text, ParagraphWidth),
        TextKind.Table => string.Join('\n', TextBlocks.FormatTable(block.Rows, "")),
        _ => block.Text,
    };

    private static List<string> Paragraphs(IEnumerable<TextBlock> blocks) =>
        blocks.Select(Paragraph).Where(p => p.Length > 0).ToList();

    private static void NoIntro(Section section, string what, PageErrors errors)
    {
        if (section.Intro.Count > 0) errors.Add(section.Intro[0].Line, $"text under '## {section.Title}' before the first '### {what}'; it would be lost.");
    }

    private static string Synopsis(Section? section, PageErrors errors)
    {
        if (section is null) return "";
        foreach (var sub in section.Subs) errors.Add(sub.Line, "'## SYNOPSIS' has no '### ' parts; it is one short paragraph.");
        // One line, unfilled: Get-Help lists and tables show the synopsis as a single line.
        var text = string.Join(' ', TextBlocks.From(section.Intro, errors).Select(b => b.Text).Where(t => t.Length > 0));
        if (text.Length == 0) errors.Add(section.Line, "'## SYNOPSIS' is empty.");
        return text;
    }

    /// <summary>DESCRIPTION and NOTES: the text, then each "### Part" as its title in capitals and its text.</summary>
    private static List<string> TitledText(Section? section, PageErrors errors)
    {
        if (section is null) return [];
        var paragraphs = Paragraphs(TextBlocks.From(section.Intro, errors));
        foreach (var sub in section.Subs)
        {
            paragraphs.Add(sub.Title.ToUpperInvariant());
            paragraphs.AddRange(Paragraphs(TextBlocks.From(sub.Blocks, errors)));
        }
        return paragraphs;
    }

    private static List<Parameter> Parameters(Section? section, PageErrors errors)
    {
        var parameters = new List<Parameter>();
        if (section is null) return parameters;
        NoIntro(section, "-Name", errors);
        foreach (var sub in section.Subs)
        {
            if (sub.Title.Equals("CommonParameters", StringComparison.OrdinalIgnoreCase)) continue;
            var match = ParameterHeading().Match(sub.Title);
            if (!match.Success)
            {
                errors.Add(sub.Line, $"'### {sub.Title}' under PARAMETERS is not '### -Name' (or '### CommonParameters').");
                continue;
            }
            var name = match.Groups[1].Value;
            if (parameters.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add(sub.Line, $"parameter -{name} is documented twice.");
                continue;
            }
            var blocks = TextBlocks.From(sub.Blocks, errors);
            var yaml = blocks.Where(b => b.IsCode("yaml")).ToList();
            if (yaml.Count == 0) errors.Add(sub.Line, $"parameter -{name} has no yaml block.");
            var sets = new List<ParameterEntry>();
            foreach (var block in yaml)
            {
                if (ParameterYaml.Read(block, name, errors) is not { } entry) continue;
                foreach (var set in entry.ParameterSets)
                {
                    if (sets.Any(s => s.AppliesTo(set)) || (set.Equals("(All)", StringComparison.OrdinalIgnoreCase) && sets.Count > 0))
                    {
                        errors.Add(block.Line, $"parameter -{name} has two yaml blocks for parameter set '{set}'.");
                    }
                }
                sets.Add(entry);
            }
            var description = Paragraphs(blocks.Where(b => !b.IsCode("yaml")));
            if (description.Count == 0) errors.Add(sub.Line, $"parameter -{name} has no description.");
            parameters.Add(new Parameter(name, description, sets));
        }
        return parameters;
    }

    private static List<SyntaxSet> Syntax(Section? section, List<Parameter> parameters, PageErrors errors)
    {
        var syntax = new List<SyntaxSet>();
        if (section is null) return syntax;
        NoIntro(section, "SetName", errors);
        foreach (var sub in section.Subs)
        {
            var blocks = TextBlocks.From(sub.Blocks, errors);
            var code = blocks.Where(b => b.Kind == TextKind.Code).ToList();
            var setName = DefaultMark().Replace(sub.Title, "").Trim();
            if (code.Count != 1)
            {
                errors.Add(sub.Line, $"syntax '{sub.Title}' needs exactly one code block, not {code.Count}.");
                continue;
            }
            foreach (var other in blocks.Where(b => b.Kind != TextKind.Code))
            {
                errors.Add(other.Line, $"syntax '{setName}' has text beside its code block; it would be lost.");
            }
            if (syntax.Any(s => s.Name.Equals(setName, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add(sub.Line, $"syntax '{setName}' appears twice.");
            }
            var names = SyntaxParameter().Matches(code[0].Text).Select(m => m.Groups[1].Value).Distinct().ToList();
            foreach (var name in names)
            {
                var parameter = parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                if (parameter is null)
                {
                    errors.Add(code[0].Line, $"syntax '{setName}' names -{name}, which has no entry under PARAMETERS.");
                }
                else if (parameter.Sets.Count > 0 && !parameter.Sets.Any(s => s.AppliesTo(setName)))
                {
                    errors.Add(code[0].Line, $"syntax '{setName}' names -{name}, but none of its yaml blocks lists that parameter set.");
                }
            }
            syntax.Add(new SyntaxSet(setName, DefaultMark().IsMatch(sub.Title), names, code[0].Text));
        }
        if (syntax.Count == 0 && section.Subs.Count == 0) errors.Add(section.Line, "SYNTAX has no '### SetName' with a code block.");
        if (syntax.Count(s => s.IsDefault) > 1) errors.Add(section.Line, "more than one syntax is marked (Default).");
        if (syntax.Count > 0)
        {
            foreach (var parameter in parameters)
            {
                foreach (var set in parameter.Sets.SelectMany(s => s.ParameterSets))
                {
                    if (set.Equals("(All)", StringComparison.OrdinalIgnoreCase)) continue;
                    if (!syntax.Any(s => s.Name.Equals(set, StringComparison.OrdinalIgnoreCase)))
                    {
                        errors.Add(section.Line, $"-{parameter.Name}'s yaml names parameter set '{set}', which has no syntax under SYNTAX.");
                    }
                }
            }
        }
        return syntax;
    }

    private static List<Example> Examples(Section? section, PageErrors errors)
    {
        var examples = new List<Example>();
        if (section is null) return examples;
        NoIntro(section, "Example", errors);
        foreach (var sub in section.Subs)
        {
            // PowerShell fences are the example's code; output fences and prose are its remarks.
            var blocks = TextBlocks.From(sub.Blocks, errors);
            var code = blocks.Where(b => b.IsCode(PowerShellLanguages)).ToList();
            if (code.Count == 0)
            {
                errors.Add(sub.Line, $"'{sub.Title}' has no powershell code block.");
                continue;
            }
            examples.Add(new Example(
                sub.Title,
                string.Join("\n\n", code.Select(c => c.Text)),
                Paragraphs(blocks.Where(b => !b.IsCode(PowerShellLanguages)))));
        }
        return examples;
    }

    private static List<TypeEntry> Types(Section? section, PageErrors errors)
    {
        if (section is null) return [];
        NoIntro(section, "TypeName", errors);
        return section.Subs.Select(sub => new TypeEntry(sub.Title, Paragraphs(TextBlocks.From(sub.Blocks, errors)))).ToList();
    }

    private static List<RelatedLink> Links(Section? section, PageErrors errors)
    {
        var links = new List<RelatedLink>();
        if (section is null) return links;
        foreach (var block in section.Intro.Concat(section.Subs.SelectMany(s => s.Blocks)))
        {
            var leaves = block is LeafBlock leaf ? [leaf] : block.Descendants<LeafBlock>();
            var found = leaves.Where(l => l.Inline is not null)
                .SelectMany(l => l.Inline!.Descendants<Inline>())
                .Where(i => i is LinkInline { IsImage: false } or AutolinkInline)
                .ToList();
            if (found.Count == 0)
            {
                errors.Add(block.Line, "text under '## RELATED LINKS' that is not a link; write [Name](Name.md) or [Text](https://...).");
                continue;
            }
            foreach (var inline in found)
            {
                var (text, url) = inline switch
                {
                    LinkInline link => (PlainText.Label(link), link.Url ?? ""),
                    AutolinkInline auto => (auto.Url, auto.Url),
                    _ => throw new InvalidOperationException(),
                };
                // A link to a sibling page names a command or topic that Get-Help finds by name.
                links.Add(new RelatedLink(text, SiblingPage().IsMatch(url) ? "" : url));
            }
        }
        return links;
    }
}
