using System.Text.Json;
using HelpBuilder;

// HelpBuilder --docs <folder> --out <module folder> [--model <file.json>]
//
// Reads every docs/*.md (cmdlet pages in the platyPS schema and about_*.md topics), checks them,
// and writes <out>/en-US/<external help file> (MAML) and <out>/en-US/about_*.help.txt. With
// --model it also writes the pages as read, as JSON, for the help tests. Exit code 0 when all was
// written; 1 when a page breaks the schema (each problem on stderr as "Page.md:line: message",
// nothing written); 2 for a wrong command line.

string? docs = null, output = null, model = null;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    try
    {
        switch (args[i])
        {
            case "--docs": docs = Next(); break;
            case "--out": output = Next(); break;
            case "--model": model = Next(); break;
            default: throw new ArgumentException($"unknown argument '{args[i]}'.");
        }
    }
    catch (ArgumentException e)
    {
        return Usage(e.Message);
    }
}
if (docs is null || (output is null && model is null)) return Usage("--docs and --out (or --model) are needed.");
if (!Directory.Exists(docs)) return Usage($"the docs folder '{docs}' does not exist.");

var files = Directory.GetFiles(docs, "*.md").Order(StringComparer.OrdinalIgnoreCase).ToList();
var errors = new List<HelpError>();
var commands = new List<CommandPage>();
var abouts = new List<AboutTopic>();
foreach (var file in files)
{
    var pageErrors = new PageErrors(Path.GetFileName(file));
    if (Path.GetFileName(file).StartsWith("about_", StringComparison.OrdinalIgnoreCase))
    {
        if (AboutTopicReader.Read(file, pageErrors) is { } about) abouts.Add(about);
    }
    else if (CommandPageReader.Read(file, pageErrors) is { } page)
    {
        commands.Add(page);
    }
    errors.AddRange(pageErrors.Errors);
}
if (commands.Count == 0 && errors.Count == 0) errors.Add(new HelpError(docs, 0, "holds no cmdlet page (*.md)."));
if (errors.Count > 0)
{
    foreach (var error in errors) Console.Error.WriteLine(error);
    return 1;
}

if (output is not null)
{
    var helpFolder = Path.Combine(output, "en-US");
    Directory.CreateDirectory(helpFolder);
    foreach (var group in commands.GroupBy(p => p.HelpFile, StringComparer.OrdinalIgnoreCase))
    {
        MamlWriter.Write(group, Path.Combine(helpFolder, group.Key));
    }
    foreach (var about in abouts) AboutWriter.Write(about, Path.Combine(helpFolder, about.Name + ".help.txt"));
}
if (model is not null)
{
    var json = JsonSerializer.Serialize(
        new { Commands = commands, Abouts = abouts.Select(a => new { a.File, a.Name }) },
        new JsonSerializerOptions { WriteIndented = true });
    File.WriteAllText(model, json + "\n");
}
return 0;

static int Usage(string message)
{
    Console.Error.WriteLine($"HelpBuilder: {message}");
    Console.Error.WriteLine("usage: HelpBuilder --docs <folder> --out <module folder> [--model <file.json>]");
    return 2;
}
