<#
.SYNOPSIS
    Reads help pages written in the platyPS markdown schema (docs/*.md) into objects, and writes
    those objects as MAML (the XML Get-Help reads for binary modules) and about topics as the
    plain text Get-Help shows. Build-Help.ps1 and the help tests share this one reader, so what
    the tests check is what the build turns into help.
#>
Set-StrictMode -Version Latest

# ---------------------------------------------------------------- markdown blocks

# Splits markdown into blocks: headings, fenced code, lists items and paragraphs. Headings
# inside a fence stay code. Front matter (--- ... ---) comes back separately.
function Split-MarkdownBlock {
    param([Parameter(Mandatory)] [string] $Text, [string] $Source = 'markdown')

    $lines = $Text -replace "`r`n", "`n" -split "`n"
    $frontMatter = [ordered]@{}
    $i = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $i = 1
        while ($i -lt $lines.Count -and $lines[$i].Trim() -ne '---') {
            if ($lines[$i] -match '^\s*([^:#]+?)\s*:\s*(.*?)\s*$') { $frontMatter[$Matches[1]] = $Matches[2] }
            $i++
        }
        if ($i -ge $lines.Count) { throw "${Source}: the front matter opened with '---' is never closed." }
        $i++
    }

    $blocks = [System.Collections.Generic.List[object]]::new()
    $paragraph = [System.Collections.Generic.List[string]]::new()
    $flush = {
        if ($paragraph.Count -gt 0) {
            $kind = if ($paragraph[0] -match '^\s*([-*+]|\d+\.)\s') { 'ListItem' } elseif ($paragraph[0] -match '^\s*\|') { 'Table' } else { 'Paragraph' }
            $joined = if ($kind -eq 'Table') { $paragraph -join "`n" } else { ($paragraph | ForEach-Object Trim) -join ' ' }
            $blocks.Add([pscustomobject]@{ Kind = $kind; Level = 0; Text = $joined; Language = $null })
            $paragraph.Clear()
        }
    }
    for (; $i -lt $lines.Count; $i++) {
        $line = $lines[$i]
        if ($line -match '^\s*(```+|~~~+)\s*([\w-]*)\s*$') {
            & $flush
            $fence = $Matches[1]; $language = $Matches[2]
            $code = [System.Collections.Generic.List[string]]::new()
            $i++
            while ($i -lt $lines.Count -and $lines[$i].Trim() -ne $fence) { $code.Add($lines[$i]); $i++ }
            if ($i -ge $lines.Count) { throw "${Source}: a code fence ($fence$language) is never closed." }
            $blocks.Add([pscustomobject]@{ Kind = 'Code'; Level = 0; Text = ($code -join "`n"); Language = $language })
        }
        elseif ($line -match '^(#{1,6})\s+(.*?)\s*$') {
            & $flush
            $blocks.Add([pscustomobject]@{ Kind = 'Heading'; Level = $Matches[1].Length; Text = $Matches[2]; Language = $null })
        }
        elseif ($line.Trim() -eq '') { & $flush }
        elseif ($line -match '^\s*([-*+]|\d+\.)\s' -and $paragraph.Count -gt 0 -and $paragraph[0] -notmatch '^\s*\|') {
            & $flush
            $paragraph.Add($line)
        }
        else { $paragraph.Add($line) }
    }
    & $flush
    [pscustomobject]@{ FrontMatter = $frontMatter; Blocks = $blocks.ToArray() }
}

# Blocks as MAML paragraphs: prose joined into one line each, code with its lines kept
# (Get-Help indents every line of a paragraph alike).
function ConvertTo-Paragraph {
    param([object[]] $Blocks)
    foreach ($block in $Blocks) { $block.Text }
}

function Test-PowerShellCode {
    param([object] $Block)
    $Block.Kind -eq 'Code' -and $Block.Language -in 'powershell', 'ps', 'ps1', 'pwsh', ''
}

# "Key: value" lines of a parameter's yaml block.
function ConvertFrom-ParameterYaml {
    param([string] $Yaml, [string] $Source)
    $map = @{}
    foreach ($line in $Yaml -split "`n") {
        if ($line.Trim() -eq '') { continue }
        if ($line -notmatch '^\s*([A-Za-z ]+?)\s*:\s*(.*?)\s*$') { throw "${Source}: cannot read the yaml line '$line'." }
        $map[$Matches[1]] = $Matches[2]
    }
    foreach ($key in 'Type', 'Parameter Sets', 'Required', 'Position', 'Accept pipeline input') {
        if (-not $map.ContainsKey($key) -or $map[$key] -eq '') { throw "${Source}: the yaml block has no '$key'." }
    }
    $split = { param($v) if ($v -and $v -notmatch '^(none|)$') { @($v -split '\s*,\s*' | Where-Object { $_ }) } else { @() } }
    [pscustomobject]@{
        Type           = $map['Type']
        ParameterSets  = @(& $split $map['Parameter Sets'])
        Aliases        = @(& $split $map['Aliases'])
        AcceptedValues = @(& $split $map['Accepted values'])
        Required       = $map['Required'] -eq 'True'
        Position       = $map['Position']
        DefaultValue   = if ($map.ContainsKey('Default value') -and $map['Default value']) { $map['Default value'] } else { 'None' }
        PipelineInput  = $map['Accept pipeline input']
        Globbing       = $map.ContainsKey('Accept wildcard characters') -and $map['Accept wildcard characters'] -eq 'True'
    }
}

# ---------------------------------------------------------------- command pages

<#
.SYNOPSIS
    Reads one cmdlet page in the platyPS schema into an object; throws, naming the page, when
    something the schema requires is missing, so that a broken page fails the build.
#>
function Read-CommandHelpPage {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipelineByPropertyName)] [Alias('FullName')] [string] $Path)
    process {
        $name = [IO.Path]::GetFileName($Path)
        $doc = Split-MarkdownBlock -Text (Get-Content -Raw -LiteralPath $Path) -Source $name
        foreach ($key in 'external help file', 'Module Name', 'schema') {
            if (-not $doc.FrontMatter.Contains($key)) { throw "${name}: the front matter has no '$key'." }
        }

        # Group blocks under "## SECTION" and, inside, under "### Sub".
        $command = $null
        $sections = [ordered]@{}
        $section = $null
        foreach ($block in $doc.Blocks) {
            if ($block.Kind -eq 'Heading' -and $block.Level -eq 1) { $command = $block.Text; continue }
            if ($block.Kind -eq 'Heading' -and $block.Level -eq 2) {
                $section = $block.Text.ToUpperInvariant()
                $sections[$section] = [System.Collections.Generic.List[object]]::new()
                $sections[$section].Add([pscustomobject]@{ Title = $null; Blocks = [System.Collections.Generic.List[object]]::new() })
                continue
            }
            if ($null -eq $section) { continue }
            if ($block.Kind -eq 'Heading' -and $block.Level -eq 3) {
                $sections[$section].Add([pscustomobject]@{ Title = $block.Text; Blocks = [System.Collections.Generic.List[object]]::new() })
                continue
            }
            $sections[$section][-1].Blocks.Add($block)
        }
        if (-not $command) { throw "${name}: no '# Command-Name' heading." }
        foreach ($required in 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') {
            if (-not $sections.Contains($required)) { throw "${name}: no '## $required' section." }
        }
        $intro = { param($s) @($sections[$s][0].Blocks) }
        $subs = { param($s) @($sections[$s] | Select-Object -Skip 1) }

        $parameters = [ordered]@{}
        foreach ($sub in & $subs 'PARAMETERS') {
            if ($sub.Title -eq 'CommonParameters') { continue }
            if ($sub.Title -notmatch '^-(\w+)$') { throw "${name}: '### $($sub.Title)' under PARAMETERS is not '### -Name'." }
            $parameterName = $Matches[1]
            $yaml = @($sub.Blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Language -eq 'yaml' })
            if ($yaml.Count -eq 0) { throw "${name}: parameter -$parameterName has no yaml block." }
            $parameters[$parameterName] = [pscustomobject]@{
                Name        = $parameterName
                Description = @(ConvertTo-Paragraph ($sub.Blocks | Where-Object { $_.Kind -ne 'Code' -or $_.Language -ne 'yaml' }))
                Sets        = @($yaml | ForEach-Object { ConvertFrom-ParameterYaml $_.Text "$name -$parameterName" })
            }
        }

        $syntax = foreach ($sub in & $subs 'SYNTAX') {
            $code = @($sub.Blocks | Where-Object Kind -eq 'Code')
            if ($code.Count -ne 1) { throw "${name}: syntax '$($sub.Title)' needs exactly one code block." }
            $setName = ($sub.Title -replace '\s*\(Default\)\s*$', '').Trim()
            $names = @([regex]::Matches($code[0].Text, '(?<![\w<])-(\w+)') | ForEach-Object { $_.Groups[1].Value } | Select-Object -Unique)
            foreach ($p in $names) {
                if (-not $parameters.Contains($p)) { throw "${name}: syntax '$setName' names -$p, which has no entry under PARAMETERS." }
            }
            [pscustomobject]@{ Name = $setName; IsDefault = $sub.Title -match '\(Default\)'; Parameters = $names; Text = $code[0].Text }
        }
        if (@($syntax).Count -eq 0) { throw "${name}: SYNTAX has no '### SetName' with a code block." }

        $examples = foreach ($sub in & $subs 'EXAMPLES') {
            # PowerShell fences are the example's code; output fences (```output) and prose are its remarks.
            $code = @($sub.Blocks | Where-Object { Test-PowerShellCode $_ })
            if ($code.Count -eq 0) { throw "${name}: '$($sub.Title)' has no powershell code block." }
            [pscustomobject]@{
                Title   = $sub.Title
                Code    = ($code.Text -join "`n`n")
                Remarks = @(ConvertTo-Paragraph ($sub.Blocks | Where-Object { -not (Test-PowerShellCode $_) }))
            }
        }

        $typed = {
            param($s)
            foreach ($sub in & $subs $s) {
                [pscustomobject]@{ TypeName = $sub.Title; Description = @(ConvertTo-Paragraph $sub.Blocks) }
            }
        }

        $links = foreach ($block in @(& $intro 'RELATED LINKS') + @(& $subs 'RELATED LINKS' | ForEach-Object Blocks)) {
            foreach ($match in [regex]::Matches($block.Text, '\[([^\]]+)\]\(([^)]*)\)')) {
                # A link to a sibling page names a command or topic that Get-Help finds by name.
                $uri = if ($match.Groups[2].Value -match '^[\w.-]+\.md$') { '' } else { $match.Groups[2].Value }
                [pscustomobject]@{ Text = $match.Groups[1].Value; Uri = $uri }
            }
        }

        [pscustomobject]@{
            Path          = $Path
            Name          = $command
            HelpFile      = $doc.FrontMatter['external help file']
            OnlineVersion = $doc.FrontMatter['online version']
            Synopsis      = (@(ConvertTo-Paragraph (& $intro 'SYNOPSIS')) -join ' ')
            Description   = @(ConvertTo-Paragraph (@(& $intro 'DESCRIPTION') + @(& $subs 'DESCRIPTION' | ForEach-Object { [pscustomobject]@{ Kind = 'Paragraph'; Text = $_.Title.ToUpperInvariant() }; $_.Blocks })))
            Syntax        = @($syntax)
            Parameters    = $parameters
            Examples      = @($examples)
            Inputs        = @(& $typed 'INPUTS')
            Outputs       = @(& $typed 'OUTPUTS')
            Notes         = @(ConvertTo-Paragraph (@(& $intro 'NOTES') + @(& $subs 'NOTES' | ForEach-Object Blocks)))
            Links         = @($links)
        }
    }
}

# ---------------------------------------------------------------- MAML

$script:Ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}

function Write-Element {
    param([System.Xml.XmlWriter] $Writer, [string] $Prefix, [string] $Name, [string] $Value)
    $Writer.WriteElementString($Prefix, $Name, $script:Ns[$Prefix], $Value)
}

function Write-Para {
    param([System.Xml.XmlWriter] $Writer, [string] $Prefix, [string] $Name, [string[]] $Paragraphs)
    $Writer.WriteStartElement($Prefix, $Name, $script:Ns[$Prefix])
    foreach ($p in @($Paragraphs | Where-Object { $_ })) { Write-Element $Writer maml para $p }
    $Writer.WriteEndElement()
}

function Write-MamlParameter {
    param([System.Xml.XmlWriter] $Writer, [object] $Parameter, [object] $Set, [bool] $InSyntax)
    $isSwitch = $Set.Type -in 'SwitchParameter', 'Switch'
    $Writer.WriteStartElement('command', 'parameter', $script:Ns.command)
    $Writer.WriteAttributeString('required', $Set.Required.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', ($Set.Type -like '*`[`]').ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', $Set.Globbing.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $Set.PipelineInput)
    $Writer.WriteAttributeString('position', $Set.Position.ToLowerInvariant())
    $Writer.WriteAttributeString('aliases', $(if ($Set.Aliases.Count) { $Set.Aliases -join ', ' } else { 'none' }))
    Write-Element $Writer maml name $Parameter.Name
    Write-Para $Writer maml description $Parameter.Description
    if ($InSyntax -and $Set.AcceptedValues.Count) {
        $Writer.WriteStartElement('command', 'parameterValueGroup', $script:Ns.command)
        foreach ($value in $Set.AcceptedValues) {
            $Writer.WriteStartElement('command', 'parameterValue', $script:Ns.command)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('variableLength', 'false')
            $Writer.WriteString($value)
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }
    # A switch in a syntax line shows as [-Name], without a value.
    if (-not ($InSyntax -and $isSwitch)) {
        $Writer.WriteStartElement('command', 'parameterValue', $script:Ns.command)
        $Writer.WriteAttributeString('required', (-not $isSwitch).ToString().ToLowerInvariant())
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString($(if ($isSwitch) { 'SwitchParameter' } else { $Set.Type }))
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $script:Ns.dev)
    Write-Element $Writer maml name $(if ($isSwitch) { 'SwitchParameter' } else { $Set.Type })
    $Writer.WriteEndElement()
    Write-Element $Writer dev defaultValue $Set.DefaultValue
    $Writer.WriteEndElement()
}

function Get-ParameterSetEntry {
    param([object] $Parameter, [string] $SetName)
    $entry = @($Parameter.Sets | Where-Object { $_.ParameterSets -contains $SetName -or $_.ParameterSets -contains '(All)' }) | Select-Object -First 1
    if (-not $entry) { throw "-$($Parameter.Name) appears in syntax '$SetName', but none of its yaml blocks lists that parameter set." }
    $entry
}

<#
.SYNOPSIS
    Writes the pages read by Read-CommandHelpPage as one MAML file (<module>.dll-Help.xml).
#>
function Write-MamlHelp {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [object[]] $Page, [Parameter(Mandatory)] [string] $Path)

    $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
    $writer = [System.Xml.XmlWriter]::Create($Path, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', 'http://msh')
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($p in $Page) {
            $writer.WriteStartElement('command', 'command', $script:Ns.command)
            foreach ($prefix in 'maml', 'command', 'dev') { $writer.WriteAttributeString('xmlns', $prefix, $null, $script:Ns[$prefix]) }

            $verb, $noun = $p.Name -split '-', 2
            $writer.WriteStartElement('command', 'details', $script:Ns.command)
            Write-Element $writer command name $p.Name
            Write-Element $writer command verb $verb
            Write-Element $writer command noun $noun
            Write-Para $writer maml description @($p.Synopsis)
            $writer.WriteEndElement()

            Write-Para $writer maml description $p.Description

            $writer.WriteStartElement('command', 'syntax', $script:Ns.command)
            foreach ($set in $p.Syntax) {
                $writer.WriteStartElement('command', 'syntaxItem', $script:Ns.command)
                Write-Element $writer maml name $p.Name
                foreach ($name in $set.Parameters) {
                    $parameter = $p.Parameters[$name]
                    Write-MamlParameter $writer $parameter (Get-ParameterSetEntry $parameter $set.Name) $true
                }
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteStartElement('command', 'parameters', $script:Ns.command)
            foreach ($parameter in $p.Parameters.Values) { Write-MamlParameter $writer $parameter $parameter.Sets[0] $false }
            $writer.WriteEndElement()

            foreach ($group in @(@('inputTypes', 'inputType', $p.Inputs), @('returnValues', 'returnValue', $p.Outputs))) {
                $writer.WriteStartElement('command', $group[0], $script:Ns.command)
                foreach ($item in $group[2]) {
                    $writer.WriteStartElement('command', $group[1], $script:Ns.command)
                    $writer.WriteStartElement('dev', 'type', $script:Ns.dev)
                    Write-Element $writer maml name $item.TypeName
                    $writer.WriteEndElement()
                    Write-Para $writer maml description $item.Description
                    $writer.WriteEndElement()
                }
                $writer.WriteEndElement()
            }

            $writer.WriteStartElement('maml', 'alertSet', $script:Ns.maml)
            Write-Para $writer maml alert $p.Notes
            $writer.WriteEndElement()

            $writer.WriteStartElement('command', 'examples', $script:Ns.command)
            foreach ($example in $p.Examples) {
                $writer.WriteStartElement('command', 'example', $script:Ns.command)
                Write-Element $writer maml title "-------------------------- $($example.Title) --------------------------"
                Write-Element $writer dev code $example.Code
                Write-Para $writer dev remarks $example.Remarks
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteStartElement('command', 'relatedLinks', $script:Ns.command)
            $links = @($p.Links)
            if ($p.OnlineVersion) { $links = @([pscustomobject]@{ Text = 'Online Version:'; Uri = $p.OnlineVersion }) + $links }
            foreach ($link in $links) {
                $writer.WriteStartElement('maml', 'navigationLink', $script:Ns.maml)
                Write-Element $writer maml linkText $link.Text
                Write-Element $writer maml uri $link.Uri
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    }
    finally { $writer.Dispose() }
}

# ---------------------------------------------------------------- about topics

function Format-Wrapped {
    param([string] $Text, [string] $Indent, [string] $HangingIndent = $Indent, [int] $Width = 80)
    $line = $Indent
    $lines = [System.Collections.Generic.List[string]]::new()
    foreach ($word in $Text -split '\s+' | Where-Object { $_ }) {
        if ($line.Trim() -and $line.Length + 1 + $word.Length -gt $Width) {
            $lines.Add($line.TrimEnd())
            $line = $HangingIndent
        }
        $line += $(if ($line.Trim()) { ' ' } else { '' }) + $word
    }
    if ($line.Trim()) { $lines.Add($line.TrimEnd()) }
    $lines
}

<#
.SYNOPSIS
    Turns an about topic in the platyPS about schema (# about_Name, ## about_Name, # SECTION,
    ## Sub, text, lists, tables, code) into the plain text of about_Name.help.txt: headings at
    the margin, text wrapped at 80 columns and indented four spaces, code indented eight.
#>
function ConvertTo-AboutHelpText {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Path)

    $name = [IO.Path]::GetFileName($Path)
    $doc = Split-MarkdownBlock -Text (Get-Content -Raw -LiteralPath $Path) -Source $name
    $blocks = @($doc.Blocks)
    if ($blocks.Count -lt 2 -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Text -notmatch '^about_\w+$') {
        throw "${name}: an about topic starts with '# about_Name'."
    }
    $out = [System.Collections.Generic.List[string]]::new()
    $out.Add('TOPIC')
    $start = 1
    if ($blocks[1].Kind -eq 'Heading' -and $blocks[1].Level -eq 2 -and $blocks[1].Text -eq $blocks[0].Text) { $start = 2 }
    $out.Add("    $($blocks[0].Text)")
    $out.Add('')
    $previous = $null
    foreach ($block in $blocks | Select-Object -Skip $start) {
        switch ($block.Kind) {
            'Heading' {
                if ($out[-1] -ne '') { $out.Add('') }
                $out.Add($(switch ($block.Level) { 1 { $block.Text.ToUpperInvariant() } 2 { $block.Text } default { "    $($block.Text.ToUpperInvariant())" } }))
            }
            'Paragraph' {
                if ($out[-1] -ne '' -and $previous -eq 'ListItem') { $out.Add('') }
                Format-Wrapped $block.Text '    ' | ForEach-Object { $out.Add($_) }; $out.Add('') }
            'ListItem' {
                $item = $block.Text -replace '^\s*([-*+])\s+', '- '
                $hang = ' ' * (4 + ($item -replace '^(\S+\s).*$', '$1').Length)
                Format-Wrapped $item '    ' $hang | ForEach-Object { $out.Add($_) }
            }
            'Table' {
                if ($out[-1] -ne '') { $out.Add('') }
                $rows = @($block.Text -split "`n" | Where-Object { $_ -notmatch '^\s*\|?[\s:|-]+\|?\s*$' } | ForEach-Object {
                        , @($_.Trim().Trim('|') -split '\|' | ForEach-Object Trim) })
                $widths = foreach ($c in 0..($rows[0].Count - 1)) { ($rows | ForEach-Object { if ($c -lt $_.Count) { $_[$c].Length } else { 0 } } | Measure-Object -Maximum).Maximum }
                for ($r = 0; $r -lt $rows.Count; $r++) {
                    $cells = for ($c = 0; $c -lt $rows[$r].Count; $c++) { $rows[$r][$c].PadRight($widths[$c]) }
                    $out.Add(('    ' + ($cells -join '  ')).TrimEnd())
                    if ($r -eq 0) { $out.Add('    ' + (($widths | ForEach-Object { '-' * $_ }) -join '  ')) }
                }
                $out.Add('')
            }
            'Code' {
                if ($out[-1] -ne '') { $out.Add('') }
                $block.Text -split "`n" | ForEach-Object { $out.Add(("        $_").TrimEnd()) }
                $out.Add('')
            }
        }
        $previous = $block.Kind
    }
    while ($out.Count -and $out[-1] -eq '') { $out.RemoveAt($out.Count - 1) }
    ($out -join [Environment]::NewLine) + [Environment]::NewLine
}

Export-ModuleMember -Function Read-CommandHelpPage, Write-MamlHelp, ConvertTo-AboutHelpText
