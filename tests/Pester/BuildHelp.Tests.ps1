# tools/Build-Help.ps1 (tools/HelpBuilder, the converter the build ships with) on pages it has
# never seen: it must handle any page in the platyPS schema (several parameter sets, a parameter
# whose position differs per set, output blocks), write plain text where the markdown has inline
# markup, and fail loudly, naming the page and line, on a page that breaks the schema.

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    $script:BuildHelp = Join-Path $PSScriptRoot '../../tools/Build-Help.ps1'

    function New-Page([string] $Name, [string] $Body) {
        $front = "---`nexternal help file: Sample.dll-Help.xml`nModule Name: Sample`nonline version:`nschema: 2.0.0`n---`n`n"
        Set-Content -LiteralPath (Join-Path $script:Docs "$Name.md") -Value ($front + $Body) -Encoding utf8NoBOM
    }

    $script:SamplePage = @'
# Send-Sample

## SYNOPSIS
Sends a sample.

## SYNTAX

### ByName (Default)
```
Send-Sample [-Name] <String> [-Count <Int32>] [-Mode <Mode>] [<CommonParameters>]
```

### ById
```
Send-Sample -Id <Int64[]> [[-Count] <Int32>] [<CommonParameters>]
```

## DESCRIPTION
First paragraph, written
over two lines.

Second paragraph, with `code`, **bold**, _emphasis_, a [sibling page](Get-Sample.md) and a
[web page](https://example.invalid/page).

- a list item with `code`
- another

## EXAMPLES

### Example 1: Send one
```powershell
Send-Sample -Name a
```

```output
sent a
```

It sends a.

### Example 2: Send by id
```powershell
Send-Sample -Id 1, 2 -Count 3
```

Sends two ids three times.

## PARAMETERS

### -Name
The name & more.

```yaml
Type: String
Parameter Sets: ByName
Aliases: N

Required: True
Position: 0
Default value: None
Accept pipeline input: True (ByValue)
Accept wildcard characters: True
```

### -Id
The ids.

```yaml
Type: Int64[]
Parameter Sets: ById
Aliases:

Required: True
Position: Named
Default value: None
Accept pipeline input: True (ByPropertyName)
Accept wildcard characters: False
```

### -Count
How often.

```yaml
Type: Int32
Parameter Sets: ByName
Aliases:

Required: False
Position: Named
Default value: 1
Accept pipeline input: False
Accept wildcard characters: False
```

```yaml
Type: Int32
Parameter Sets: ById
Aliases:

Required: False
Position: 1
Default value: 1
Accept pipeline input: False
Accept wildcard characters: False
```

### -Mode
How.

```yaml
Type: Mode
Parameter Sets: ByName
Aliases:
Accepted values: Fast, Slow

Required: False
Position: Named
Default value: Fast
Accept pipeline input: False
Accept wildcard characters: False
```

### CommonParameters
This cmdlet supports the common parameters.

## INPUTS

### System.String
A name.

### System.Int64[]
Ids.

## OUTPUTS

### System.Object
Whatever.

## NOTES
Needs Linux.

## RELATED LINKS

[Get-Sample](Get-Sample.md)

[Online](https://example.invalid/sample)
'@

    # Build the converter once; every call below runs that build (-NoBuild).
    $script:Docs = Join-Path $TestDrive 'docs'
    New-Item -ItemType Directory -Path $script:Docs | Out-Null
    New-Page 'Send-Sample' $script:SamplePage
    & $script:BuildHelp -DocsPath $script:Docs -ModelPath (Join-Path $TestDrive 'model.json')
}

Describe 'Build-Help on a page in the platyPS schema' {
    BeforeAll {
        $script:Docs = Join-Path $TestDrive 'docs'
        Set-Content -LiteralPath (Join-Path $script:Docs 'about_Sample.md') -Encoding utf8NoBOM -Value @'
# about_Sample

## about_Sample

# SHORT DESCRIPTION
A topic.

# LONG DESCRIPTION
Some text with `code` that is long enough to be wrapped because it goes on and on and on beyond the eighty columns of a terminal.

- a list item
- another

| Name | Meaning |
| ---- | ------- |
| `a`  | **first** |

```powershell
Get-Sample
```
'@
        $out = Join-Path $TestDrive 'out'
        & $script:BuildHelp -DocsPath $script:Docs -OutputPath $out -NoBuild
        [xml] $script:Maml = Get-Content -Raw (Join-Path $out 'en-US/Sample.dll-Help.xml')
        $script:Ns = [System.Xml.XmlNamespaceManager]::new($script:Maml.NameTable)
        $script:Ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $script:Ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
        $script:Ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
        $script:About = Get-Content -LiteralPath (Join-Path $out 'en-US/about_Sample.help.txt')
        function Select-Maml([string] $XPath) { @($script:Maml.SelectNodes($XPath, $script:Ns)) }
    }

    It 'writes one command with name, verb, noun and synopsis' {
        (Select-Maml '//command:command/command:details/command:name').InnerText | Should -Be 'Send-Sample'
        (Select-Maml '//command:details/command:verb').InnerText | Should -Be 'Send'
        (Select-Maml '//command:details/command:noun').InnerText | Should -Be 'Sample'
        (Select-Maml '//command:details/maml:description/maml:para').InnerText | Should -Be 'Sends a sample.'
    }

    It 'joins the lines of a paragraph and keeps paragraphs apart' {
        $paras = (Select-Maml '//command:command/maml:description/maml:para').InnerText
        $paras | Should -Be @(
            'First paragraph, written over two lines.'
            "Second paragraph, with code, bold, emphasis, a sibling page and a web`npage (https://example.invalid/page)."  # filled to 72 columns
            '- a list item with code'
            '- another')
    }

    It 'writes no markdown into the help' {
        $text = @(Select-Maml '//maml:para' | ForEach-Object InnerText) + @(Select-Maml '//maml:title' | ForEach-Object InnerText)
        $text | Should -Not -BeNullOrEmpty
        @($text | Where-Object { $_ -match '`|\*\*|\]\(|(^|\s)_\w' }) | Should -BeNullOrEmpty
        @($script:About | Where-Object { $_ -match '`|\*\*' }) | Should -BeNullOrEmpty
    }

    It 'writes one syntax item per set, each with its own parameters, positions and accepted values' {
        $items = Select-Maml '//command:syntax/command:syntaxItem'
        $items.Count | Should -Be 2
        @($items[0].SelectNodes('command:parameter/maml:name', $script:Ns).InnerText) | Should -Be @('Name', 'Count', 'Mode')
        @($items[1].SelectNodes('command:parameter/maml:name', $script:Ns).InnerText) | Should -Be @('Id', 'Count')
        $items[0].SelectSingleNode("command:parameter[maml:name='Count']", $script:Ns).position | Should -Be 'named'
        $items[1].SelectSingleNode("command:parameter[maml:name='Count']", $script:Ns).position | Should -Be '1'
        @($items[0].SelectNodes("command:parameter[maml:name='Mode']/command:parameterValueGroup/command:parameterValue", $script:Ns).InnerText) | Should -Be @('Fast', 'Slow')
    }

    It 'writes every parameter with type, required, position, pipeline input, globbing, aliases and default' {
        $name = Select-Maml "//command:parameters/command:parameter[maml:name='Name']" | Select-Object -First 1
        $name.required | Should -Be 'true'
        $name.position | Should -Be '0'
        $name.pipelineInput | Should -Be 'True (ByValue)'
        $name.globbing | Should -Be 'true'
        $name.aliases | Should -Be 'N'
        $name.SelectSingleNode('dev:type/maml:name', $script:Ns).InnerText | Should -Be 'String'
        $name.SelectSingleNode('maml:description/maml:para', $script:Ns).InnerText | Should -Be 'The name & more.'
        $id = Select-Maml "//command:parameters/command:parameter[maml:name='Id']" | Select-Object -First 1
        $id.variableLength | Should -Be 'true'
        $id.aliases | Should -Be 'none'
        $id.SelectSingleNode('command:parameterValue', $script:Ns).InnerText | Should -Be 'Int64[]'
        (Select-Maml "//command:parameters/command:parameter[maml:name='Count']/dev:defaultValue").InnerText | Should -Be '1'
        (Select-Maml '//command:parameters/command:parameter').Count | Should -Be 4
    }

    It 'writes inputs, outputs, notes and related links' {
        (Select-Maml '//command:inputTypes/command:inputType/dev:type/maml:name').InnerText | Should -Be @('System.String', 'System.Int64[]')
        (Select-Maml '//command:returnValues/command:returnValue/dev:type/maml:name').InnerText | Should -Be 'System.Object'
        (Select-Maml '//maml:alertSet/maml:alert/maml:para').InnerText | Should -Be 'Needs Linux.'
        (Select-Maml '//command:relatedLinks/maml:navigationLink/maml:linkText').InnerText | Should -Be @('Get-Sample', 'Online: https://example.invalid/sample')
        # Get-Help -Online opens the first uri it finds: a page without an online version has none.
        (Select-Maml '//command:relatedLinks/maml:navigationLink/maml:uri').InnerText | Should -Be @('', '')
    }

    It 'fills prose to 72 columns, a list item with a hanging indent, and leaves output as written' {
        $docs = Join-Path $TestDrive 'fill-docs'
        New-Item -ItemType Directory -Path $docs | Out-Null
        $long = 'word ' * 30
        $page = $script:SamplePage -replace '- another', "- another $long" -replace 'sent a', ('sent a' + ' ' * 70 + 'wide output')
        Set-Content -LiteralPath (Join-Path $docs 'Send-Sample.md') -Encoding utf8NoBOM -Value (
            "---`nexternal help file: Sample.dll-Help.xml`nModule Name: Sample`nonline version:`nschema: 2.0.0`n---`n`n" + $page)
        $out = Join-Path $TestDrive 'fill-out'
        & $script:BuildHelp -DocsPath $docs -OutputPath $out -NoBuild
        [xml] $maml = Get-Content -Raw (Join-Path $out 'en-US/Sample.dll-Help.xml')
        $paras = @($maml.SelectNodes('//command:command/maml:description/maml:para', $script:Ns).InnerText)
        $item = $paras | Where-Object { $_ -like '- another*' }
        $lines = @($item -split "`n")
        $lines.Count | Should -BeGreaterThan 1
        @($lines | Where-Object Length -GT 72) | Should -BeNullOrEmpty
        @($lines | Select-Object -Skip 1 | Where-Object { $_ -notlike '  word*' }) | Should -BeNullOrEmpty
        $remarks = @($maml.SelectNodes('//command:example/dev:remarks/maml:para', $script:Ns).InnerText)
        $remarks | Should -Contain ('sent a' + ' ' * 70 + 'wide output')
    }

    It 'gives only the online version a uri, first, when the page has one' {
        $docs = Join-Path $TestDrive 'online-docs'
        New-Item -ItemType Directory -Path $docs | Out-Null
        $front = "---`nexternal help file: Sample.dll-Help.xml`nModule Name: Sample`nonline version: https://example.invalid/send-sample`nschema: 2.0.0`n---`n`n"
        Set-Content -LiteralPath (Join-Path $docs 'Send-Sample.md') -Value ($front + $script:SamplePage) -Encoding utf8NoBOM
        $out = Join-Path $TestDrive 'online-out'
        & $script:BuildHelp -DocsPath $docs -OutputPath $out -NoBuild
        [xml] $maml = Get-Content -Raw (Join-Path $out 'en-US/Sample.dll-Help.xml')
        $links = @($maml.SelectNodes('//command:relatedLinks/maml:navigationLink', $script:Ns))
        $links.linkText | Should -Be @('Online Version:', 'Get-Sample', 'Online: https://example.invalid/sample')
        $links.uri | Should -Be @('https://example.invalid/send-sample', '', '')
    }

    It 'keeps example code apart from output and prose' {
        $examples = Select-Maml '//command:examples/command:example'
        $examples.Count | Should -Be 2
        $examples[0].SelectSingleNode('dev:code', $script:Ns).InnerText | Should -Be 'Send-Sample -Name a'
        @($examples[0].SelectNodes('dev:remarks/maml:para', $script:Ns).InnerText) | Should -Be @('sent a', 'It sends a.')
        $examples[0].SelectSingleNode('maml:title', $script:Ns).InnerText | Should -Match 'Example 1: Send one'
    }

    It 'writes the about topic as wrapped, indented text' {
        $script:About[0] | Should -Be 'TOPIC'
        $script:About[1] | Should -Be '    about_Sample'
        $script:About | Should -Contain 'SHORT DESCRIPTION'
        $script:About | Should -Contain '    - a list item'
        $script:About | Should -Contain '        Get-Sample'
        @($script:About | Where-Object Length -GT 80) | Should -BeNullOrEmpty
        @($script:About | Where-Object { $_ -like '    Some text with code that*' }).Count | Should -Be 1
    }

    It 'writes a table of the about topic as aligned columns' {
        $table = @($script:About | Where-Object { $_ -cmatch '^    (Name|----|a ) ' })
        $table | Should -Be @('    Name  Meaning', '    ----  -------', '    a     first')
    }

    It 'writes the pages as read, as JSON, for the help tests' {
        $model = Get-Content -Raw (Join-Path $TestDrive 'model.json') | ConvertFrom-Json
        $model.Commands.Name | Should -Be 'Send-Sample'
        $model.Commands.Syntax.Name | Should -Be @('ByName', 'ById')
        $model.Commands.Examples.Code | Should -Be @('Send-Sample -Name a', 'Send-Sample -Id 1, 2 -Count 3')
    }

    It 'writes the same bytes when run again' {
        $again = Join-Path $TestDrive 'again'
        & $script:BuildHelp -DocsPath $script:Docs -OutputPath $again -NoBuild
        foreach ($file in 'Sample.dll-Help.xml', 'about_Sample.help.txt') {
            (Get-FileHash (Join-Path $again "en-US/$file")).Hash | Should -Be (Get-FileHash (Join-Path $TestDrive "out/en-US/$file")).Hash
        }
        [IO.File]::ReadAllText((Join-Path $again 'en-US/Sample.dll-Help.xml')) | Should -Not -Match "`r"
    }
}

Describe 'Build-Help on a page that breaks the schema' {
    BeforeEach {
        $script:Docs = Join-Path $TestDrive "broken-$([guid]::NewGuid().ToString('N'))"
        New-Item -ItemType Directory -Path $script:Docs | Out-Null
    }

    It 'fails, naming the page, when <Case>' -ForEach @(
        @{ Case = 'a section is missing'; Change = { param($t) $t -replace '(?s)## NOTES.*?## RELATED', '## RELATED' }; Message = '*Send-Sample.md*NOTES*' }
        @{ Case = 'a parameter has no yaml block'; Change = { param($t) $t -replace '(?s)(### -Mode\s+How\.\s+)```yaml.*?```', '$1' }; Message = '*Send-Sample.md*-Mode*yaml*' }
        @{ Case = 'the syntax names an undocumented parameter'; Change = { param($t) $t -replace '\[-Mode <Mode>\]', '[-Mode <Mode>] [-Loud]' }; Message = '*Send-Sample.md*-Loud*' }
        @{ Case = 'a code fence is never closed'; Change = { param($t) $t -replace '(?s)Needs Linux\..*$', "Needs Linux.`n``````powershell`nGet-Sample`n" }; Message = '*Send-Sample.md:*never closed*' }
        @{ Case = 'the front matter is never closed'; Change = { param($t) $t }; Front = "---`nexternal help file: Sample.dll-Help.xml`nModule Name: Sample`n`n"; Message = '*Send-Sample.md:1:*front matter*never closed*' }
        @{ Case = 'the front matter lacks a key'; Change = { param($t) $t }; Front = "---`nexternal help file: Sample.dll-Help.xml`nschema: 2.0.0`n---`n`n"; Message = "*Send-Sample.md*front matter has no 'Module Name'*" }
        @{ Case = 'a section is out of order'; Change = { param($t) $t -replace '(?s)(## NOTES\s+Needs Linux\.\s+)', '' -replace '## INPUTS', "## NOTES`nNeeds Linux.`n`n## INPUTS" }; Message = "*Send-Sample.md:*'## INPUTS' comes after '## NOTES'*" }
        @{ Case = 'a section is not in the schema'; Change = { param($t) $t -replace '## NOTES', "## REMARKS`nText.`n`n## NOTES" }; Message = "*Send-Sample.md:*'## REMARKS' is not a section*" }
        @{ Case = 'a yaml value is not True or False'; Change = { param($t) $t -replace '(?s)(### -Name.*?)Required: True', '$1Required: Yes' }; Message = "*Send-Sample.md:*-Name*'Required: Yes'*True or False*" }
        @{ Case = 'a yaml block is not YAML'; Change = { param($t) $t -replace 'Default value: Fast', 'Default value: [Mode]::Fast' }; Message = '*Send-Sample.md:*-Mode*not valid YAML*' }
        @{ Case = 'a parameter lists a set that has no syntax'; Change = { param($t) $t -replace '(?s)(### -Id.*?)Parameter Sets: ById', '$1Parameter Sets: ByIds' }; Message = "*Send-Sample.md:*ByIds*" }
        @{ Case = 'a related link is plain text'; Change = { param($t) $t -replace '\[Get-Sample\]\(Get-Sample\.md\)', 'Get-Sample' }; Message = '*Send-Sample.md:*RELATED LINKS*not a link*' }
        @{ Case = 'the heading does not name the file'; Change = { param($t) $t -replace '# Send-Sample', '# Send-Samples' }; Message = "*Send-Sample.md:*'# Send-Samples'*" }
    ) {
        $body = & $Change $script:SamplePage
        if ($Front) { Set-Content -LiteralPath (Join-Path $script:Docs 'Send-Sample.md') -Value ($Front + $body) -Encoding utf8NoBOM }
        else { New-Page 'Send-Sample' $body }
        $out = Join-Path $TestDrive "broken-out-$([guid]::NewGuid().ToString('N'))"
        { & $script:BuildHelp -DocsPath $script:Docs -OutputPath $out -NoBuild } | Should -Throw -ExpectedMessage $Message
        Join-Path $out 'en-US/Sample.dll-Help.xml' | Should -Not -Exist
    }

    It 'reports every problem of every page at once' {
        New-Page 'Send-Sample' ($script:SamplePage -replace '(?s)## NOTES.*?## RELATED', '## RELATED')
        New-Page 'Get-Sample' ($script:SamplePage -replace 'Send-Sample', 'Get-Sample' -replace '(?s)(### -Mode\s+How\.\s+)```yaml.*?```', '$1')
        $message = { & $script:BuildHelp -DocsPath $script:Docs -OutputPath (Join-Path $TestDrive 'broken-out') -NoBuild } | Should -Throw -PassThru
        $message.Exception.Message | Should -BeLike "*Get-Sample.md:*-Mode has no yaml block*Send-Sample.md: no '## NOTES' section*"
    }

    It 'fails when the docs folder is missing' {
        { & $script:BuildHelp -DocsPath (Join-Path $TestDrive 'no-such-docs') -OutputPath (Join-Path $TestDrive 'broken-out') -NoBuild } |
            Should -Throw -ExpectedMessage '*no-such-docs*missing*'
    }
}
