using System.Text;
using System.Xml;

namespace HelpBuilder;

/// <summary>Writes cmdlet pages as MAML, the XML that Get-Help reads for a binary module
/// (&lt;module&gt;.dll-Help.xml): one command:command per page, in the layout platyPS writes.</summary>
public static class MamlWriter
{
    private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
    private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static readonly (string Prefix, string Uri)[] Namespaces = [("maml", Maml), ("command", Command), ("dev", Dev)];

    public static void Write(IEnumerable<CommandPage> pages, string path)
    {
        // The same bytes on every system: UTF-8 without a BOM, "\n" line ends.
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        using var writer = XmlWriter.Create(path, settings);
        writer.WriteStartDocument();
        writer.WriteStartElement("helpItems", "http://msh");
        writer.WriteAttributeString("schema", "maml");
        foreach (var page in pages) WriteCommand(writer, page);
        writer.WriteEndElement();
        writer.WriteEndDocument();
    }

    private static void WriteCommand(XmlWriter writer, CommandPage page)
    {
        writer.WriteStartElement("command", "command", Command);
        foreach (var (prefix, uri) in Namespaces) writer.WriteAttributeString("xmlns", prefix, null, uri);

        var dash = page.Name.IndexOf('-');
        writer.WriteStartElement("command", "details", Command);
        writer.WriteElementString("command", "name", Command, page.Name);
        writer.WriteElementString("command", "verb", Command, dash < 0 ? page.Name : page.Name[..dash]);
        writer.WriteElementString("command", "noun", Command, dash < 0 ? "" : page.Name[(dash + 1)..]);
        WriteParagraphs(writer, "maml", "description", Maml, [page.Synopsis]);
        writer.WriteEndElement();

        WriteParagraphs(writer, "maml", "description", Maml, page.Description);

        writer.WriteStartElement("command", "syntax", Command);
        foreach (var set in page.Syntax)
        {
            writer.WriteStartElement("command", "syntaxItem", Command);
            writer.WriteElementString("maml", "name", Maml, page.Name);
            foreach (var name in set.Parameters)
            {
                var parameter = page.Parameters.First(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                WriteParameter(writer, parameter, parameter.Sets.First(s => s.AppliesTo(set.Name)), inSyntax: true);
            }
            writer.WriteEndElement();
        }
        writer.WriteEndElement();

        writer.WriteStartElement("command", "parameters", Command);
        foreach (var parameter in page.Parameters) WriteParameter(writer, parameter, parameter.Sets[0], inSyntax: false);
        writer.WriteEndElement();

        WriteTypes(writer, "inputTypes", "inputType", page.Inputs);
        WriteTypes(writer, "returnValues", "returnValue", page.Outputs);

        writer.WriteStartElement("maml", "alertSet", Maml);
        WriteParagraphs(writer, "maml", "alert", Maml, page.Notes);
        writer.WriteEndElement();

        writer.WriteStartElement("command", "examples", Command);
        foreach (var example in page.Examples)
        {
            writer.WriteStartElement("command", "example", Command);
            writer.WriteElementString("maml", "title", Maml, $"-------------------------- {example.Title} --------------------------");
            writer.WriteElementString("dev", "code", Dev, example.Code);
            WriteParagraphs(writer, "dev", "remarks", Dev, example.Remarks);
            writer.WriteEndElement();
        }
        writer.WriteEndElement();

        writer.WriteStartElement("command", "relatedLinks", Command);
        // Get-Help -Online opens the first link that has a uri, so only the online version may
        // have one: any other link's address goes into its text, where Get-Help shows it too.
        // A page without an online version then has none, and -Online says so.
        var links = page.Links.Select(l => l.Uri.Length == 0 ? l : new RelatedLink($"{l.Text}: {l.Uri}", ""));
        if (page.OnlineVersion is not null) links = links.Prepend(new RelatedLink("Online Version:", page.OnlineVersion));
        foreach (var link in links)
        {
            writer.WriteStartElement("maml", "navigationLink", Maml);
            writer.WriteElementString("maml", "linkText", Maml, link.Text);
            writer.WriteElementString("maml", "uri", Maml, link.Uri);
            writer.WriteEndElement();
        }
        writer.WriteEndElement();

        writer.WriteEndElement();
    }

    private static void WriteParagraphs(XmlWriter writer, string prefix, string name, string ns, IEnumerable<string> paragraphs)
    {
        writer.WriteStartElement(prefix, name, ns);
        foreach (var paragraph in paragraphs.Where(p => p.Length > 0)) writer.WriteElementString("maml", "para", Maml, paragraph);
        writer.WriteEndElement();
    }

    private static void WriteParameter(XmlWriter writer, Parameter parameter, ParameterEntry entry, bool inSyntax)
    {
        static string Lower(bool value) => value ? "true" : "false";
        var typeName = entry.IsSwitch ? "SwitchParameter" : entry.Type;

        writer.WriteStartElement("command", "parameter", Command);
        writer.WriteAttributeString("required", Lower(entry.Required));
        writer.WriteAttributeString("variableLength", Lower(entry.Type.EndsWith("[]", StringComparison.Ordinal)));
        writer.WriteAttributeString("globbing", Lower(entry.Globbing));
        writer.WriteAttributeString("pipelineInput", entry.PipelineInput);
        writer.WriteAttributeString("position", entry.Position.ToLowerInvariant());
        writer.WriteAttributeString("aliases", entry.Aliases.Count > 0 ? string.Join(", ", entry.Aliases) : "none");
        writer.WriteElementString("maml", "name", Maml, parameter.Name);
        WriteParagraphs(writer, "maml", "description", Maml, parameter.Description);
        if (inSyntax && entry.AcceptedValues.Count > 0)
        {
            writer.WriteStartElement("command", "parameterValueGroup", Command);
            foreach (var value in entry.AcceptedValues)
            {
                writer.WriteStartElement("command", "parameterValue", Command);
                writer.WriteAttributeString("required", "false");
                writer.WriteAttributeString("variableLength", "false");
                writer.WriteString(value);
                writer.WriteEndElement();
            }
            writer.WriteEndElement();
        }
        // A switch in a syntax line shows as [-Name], without a value.
        if (!(inSyntax && entry.IsSwitch))
        {
            writer.WriteStartElement("command", "parameterValue", Command);
            writer.WriteAttributeString("required", Lower(!entry.IsSwitch));
            writer.WriteAttributeString("variableLength", "false");
            writer.WriteString(typeName);
            writer.WriteEndElement();
        }
        writer.WriteStartElement("dev", "type", Dev);
        writer.WriteElementString("maml", "name", Maml, typeName);
        writer.WriteEndElement();
        writer.WriteElementString("dev", "defaultValue", Dev, entry.DefaultValue);
        writer.WriteEndElement();
    }

    private static void WriteTypes(XmlWriter writer, string group, string item, IEnumerable<TypeEntry> types)
    {
        writer.WriteStartElement("command", group, Command);
        foreach (var type in types)
        {
            writer.WriteStartElement("command", item, Command);
            writer.WriteStartElement("dev", "type", Dev);
            writer.WriteElementString("maml", "name", Maml, type.TypeName);
            writer.WriteEndElement();
            WriteParagraphs(writer, "maml", "description", Maml, type.Description);
            writer.WriteEndElement();
        }
        writer.WriteEndElement();
    }
}
