# Help as users read it (Get-Help -Full on the built module), and the docs that cannot drift
# from the code: every parameter documented, nothing documented that does not exist, every
# exported cmdlet has a page, every page is an exported cmdlet, every example parses.

BeforeDiscovery {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    $docsPath = Join-Path $PSScriptRoot '../../docs'
    $cmdlets = @(Get-Command -Module SpliceModule -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
    $pages = @(Get-ChildItem -LiteralPath $docsPath -Filter '*.md' | Where-Object Name -NotLike 'about_*' |
            ForEach-Object { @{ Name = $_.BaseName; Path = $_.FullName } })
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    $script:DocsPath = Join-Path $PSScriptRoot '../../docs'
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters

    # How the code's parameter type reads in help: int? reads Int32, as platyPS writes it.
    function Get-DocumentedTypeName([type] $Type) {
        $underlying = [Nullable]::GetUnderlyingType($Type)
        if ($underlying) { $Type = $underlying }
        $Type.Name
    }

    function Get-CodeParameter([string] $Name) {
        (Get-Command $Name).Parameters.Values | Where-Object Name -NotIn $script:Common
    }

    function Get-HelpParameter($Help) {
        @($Help.parameters.parameter | Where-Object { $_ })
    }
}

Describe 'Get-Help <Name> -Full' -ForEach $cmdlets {
    BeforeAll {
        $help = Get-Help $Name -Full
        $parameters = @(Get-CodeParameter $Name)
        $documented = Get-HelpParameter $help
    }

    It 'comes from the MAML file the build wrote' {
        $module = (Get-Command $Name).Module
        Join-Path $module.ModuleBase 'en-US/SpliceModule.dll-Help.xml' | Should -Exist
        # Without MAML, Get-Help makes up a synopsis from the syntax and has no description.
        $help.Synopsis | Should -Not -Match "^$([regex]::Escape($Name)) \["
    }

    It 'has a synopsis and a description' {
        $help.Synopsis.Trim().Length | Should -BeGreaterThan 20
        ($help.description.Text -join ' ').Trim().Length | Should -BeGreaterThan 100
    }

    It 'documents every parameter of the cmdlet' {
        $missing = @($parameters.Name | Where-Object { $_ -notin $documented.name })
        $missing | Should -BeNullOrEmpty -Because "$Name's page must document every parameter"
    }

    It 'documents no parameter that the cmdlet does not have' {
        $extra = @($documented.name | Where-Object { $_ -notin $parameters.Name })
        $extra | Should -BeNullOrEmpty -Because "$Name's page must not document parameters that do not exist"
    }

    It 'gives every parameter a description, its real type, aliases and pipeline behaviour' {
        foreach ($parameter in $parameters) {
            $entry = $documented | Where-Object name -EQ $parameter.Name
            if (-not $entry) { continue }   # reported by the test above
            ($entry.description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) needs a description"
            ($entry.type.name -replace '^.*\.', '') | Should -Be (Get-DocumentedTypeName $parameter.ParameterType) -Because "-$($parameter.Name)'s documented type"

            $aliases = @(if ($entry.aliases -and $entry.aliases -ne 'none') { $entry.aliases -split '\s*,\s*' })
            ($aliases | Sort-Object) -join ',' | Should -Be (($parameter.Aliases | Sort-Object) -join ',') -Because "-$($parameter.Name)'s aliases"

            $byValue = [bool]($parameter.Attributes | Where-Object { $_ -is [Parameter] -and $_.ValueFromPipeline })
            $byName = [bool]($parameter.Attributes | Where-Object { $_ -is [Parameter] -and $_.ValueFromPipelineByPropertyName })
            $entry.pipelineInput | Should -Not -BeNullOrEmpty
            ($entry.pipelineInput -match 'ByValue') | Should -Be $byValue -Because "-$($parameter.Name) binds by value: $byValue"
            ($entry.pipelineInput -match 'ByPropertyName') | Should -Be $byName -Because "-$($parameter.Name) binds by property name: $byName"
            if (-not ($byValue -or $byName)) { $entry.pipelineInput | Should -BeLike 'False*' }
        }
    }

    It 'has one syntax line per parameter set, with the right required parameters and positions' {
        $command = Get-Command $Name
        $items = @($help.syntax.syntaxItem)
        $items.Count | Should -Be $command.ParameterSets.Count
        foreach ($set in $command.ParameterSets) {
            $names = @($set.Parameters.Name | Where-Object { $_ -notin $script:Common } | Sort-Object)
            $item = $items | Where-Object { (@($_.parameter.name | Sort-Object) -join ',') -eq ($names -join ',') } | Select-Object -First 1
            $item | Should -Not -BeNullOrEmpty -Because "parameter set '$($set.Name)' ($($names -join ', ')) needs its own syntax section"
            foreach ($parameter in $set.Parameters | Where-Object Name -NotIn $script:Common) {
                $shown = $item.parameter | Where-Object name -EQ $parameter.Name
                $shown.required | Should -Be $parameter.IsMandatory.ToString().ToLowerInvariant() -Because "-$($parameter.Name) in set $($set.Name)"
                $position = if ($parameter.Position -lt 0) { 'named' } else { [string]$parameter.Position }
                $shown.position | Should -Be $position -Because "-$($parameter.Name)'s position in set $($set.Name)"
            }
        }
    }

    It 'shows inputs, outputs and notes' {
        @($help.inputTypes.inputType.type.name | Where-Object { $_ }).Count | Should -BeGreaterThan 0
        @($help.returnValues.returnValue.type.name | Where-Object { $_ }).Count | Should -BeGreaterThan 0
        ($help.alertSet.alert.Text -join ' ').Trim().Length | Should -BeGreaterThan 40
    }

    It 'has at least two examples, each with code that parses and an explanation or output' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            $example.code | Should -Not -BeNullOrEmpty
            $tokens = $errors = $null
            [void][System.Management.Automation.Language.Parser]::ParseInput($example.code, [ref]$tokens, [ref]$errors)
            $errors | Should -BeNullOrEmpty -Because "$($example.title.Trim(' -')) must parse"
            ($example.remarks.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty -Because "$($example.title.Trim(' -')) needs prose or output"
        }
    }

    It 'shows the page as Get-Help renders it, without errors' {
        $text = Get-Help $Name -Full | Out-String -Width 120
        $text | Should -Match 'SYNOPSIS'
        $text | Should -Match 'Accept pipeline input\?'
        $text | Should -Match 'INPUTS'
        $text | Should -Match 'NOTES'
    }
}

Describe 'The page docs/<Name>.md' -ForEach $pages {
    BeforeAll {
        # The pages as the build's converter reads them (tools/HelpBuilder via Build-Help.ps1).
        if (-not $script:HelpModel) {
            $modelPath = Join-Path $TestDrive 'help-model.json'
            & (Join-Path $PSScriptRoot '../../tools/Build-Help.ps1') -DocsPath $script:DocsPath -ModelPath $modelPath
            $script:HelpModel = Get-Content -Raw $modelPath | ConvertFrom-Json
        }
        function Read-CommandHelpPage([string] $Path) {
            $page = $script:HelpModel.Commands | Where-Object File -EQ (Split-Path $Path -Leaf)
            $page | Should -Not -BeNullOrEmpty -Because "$Path is read by the help builder"
            $page
        }
    }

    It 'is named after an exported cmdlet' {
        (Get-Module SpliceModule).ExportedCmdlets.Keys | Should -Contain $Name
    }

    It 'reads as a platyPS page for its own cmdlet' {
        $page = Read-CommandHelpPage -Path $Path
        $page.Name | Should -Be $Name
        $page.HelpFile | Should -Be 'SpliceModule.dll-Help.xml'
        (Get-Content -Raw -LiteralPath $Path) | Should -Match '(?m)^Module Name: SpliceModule\s*$'
        (Get-Content -Raw -LiteralPath $Path) | Should -Match '(?m)^schema: 2\.0\.0\s*$'
    }

    It 'has a syntax section for each parameter set and no other' {
        $page = Read-CommandHelpPage -Path $Path
        $sets = @((Get-Command $Name).ParameterSets.Name | Sort-Object)
        @($page.Syntax.Name | Sort-Object) | Should -Be $sets
    }

    It 'has example code that parses, in every example' {
        $page = Read-CommandHelpPage -Path $Path
        foreach ($example in $page.Examples) {
            $tokens = $errors = $null
            [void][System.Management.Automation.Language.Parser]::ParseInput($example.Code, [ref]$tokens, [ref]$errors)
            $errors | Should -BeNullOrEmpty -Because "'$($example.Title)' in $Name.md must parse"
        }
    }
}

Describe 'The cmdlets and the pages' {
    It 'has a page for every exported cmdlet' {
        $pages = (Get-ChildItem -LiteralPath $script:DocsPath -Filter '*.md').BaseName
        $missing = @((Get-Module SpliceModule).ExportedCmdlets.Keys | Where-Object { $_ -notin $pages })
        $missing | Should -BeNullOrEmpty
    }
}

Describe 'about_SpliceModule' {
    BeforeAll {
        $about = Get-Help about_SpliceModule | Out-String -Width 100
    }

    It 'is found by Get-Help' {
        $about | Should -Match 'about_SpliceModule'
        $about | Should -Match 'SHORT DESCRIPTION'
        Join-Path (Get-Module SpliceModule).ModuleBase 'en-US/about_SpliceModule.help.txt' | Should -Exist
    }

    It 'explains zero-copy, pipes and capacity, vmsplice memory and other systems' {
        $about | Should -Match 'zero-copy'
        $about | Should -Match 'pipe-max-size'
        $about | Should -Match 'vmsplice memory rules'
        $about | Should -Match 'Non-Linux behaviour'
        $about | Should -Match 'PlatformNotSupported'
    }

    It 'names every copy method and when it is used' {
        foreach ($method in [Enum]::GetNames([SpliceModule.CopyMethod]) | Where-Object { $_ -ne 'Auto' }) {
            $about | Should -Match "(?m)^\s+$method\s+\S" -Because "the method table lists $method"
        }
    }

    It 'keeps every line within 80 columns except tables' {
        $long = @(Get-Content (Join-Path (Get-Module SpliceModule).ModuleBase 'en-US/about_SpliceModule.help.txt') |
                Where-Object { $_.Length -gt 80 -and $_ -notmatch '\S  +\S' })
        $long | Should -BeNullOrEmpty
    }
}

Describe 'README.md' {
    BeforeAll {
        $script:Readme = Get-Content -Raw (Join-Path $PSScriptRoot '../../README.md')
        . (Join-Path $PSScriptRoot 'Pipelines.Helpers.ps1')
    }

    It 'keeps the two commands exactly' {
        $script:Readme | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh ./build.ps1 -Task Demo'))
        $script:Readme | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test'))
    }

    It 'lists every exported cmdlet in its table' {
        foreach ($name in (Get-Module SpliceModule).ExportedCmdlets.Keys) {
            $script:Readme | Should -Match "(?m)^\| ``$name`` \|"
        }
    }

    It 'has PowerShell examples that parse' {
        $blocks = [regex]::Matches($script:Readme, '(?ms)^```powershell\s*\n(.*?)^```')
        $blocks.Count | Should -BeGreaterThan 1
        foreach ($block in $blocks) {
            $tokens = $errors = $null
            [void][System.Management.Automation.Language.Parser]::ParseInput($block.Groups[1].Value, [ref]$tokens, [ref]$errors)
            $errors | Should -BeNullOrEmpty
        }
    }

    # The examples a reader pastes, run as written but smaller (Examples.Tests.ps1 runs them as
    # written): 1 GiB is 4 MiB and the port is a free one.
    It 'runs its zero-copy pipeline examples' {
        $section = [regex]::Match($script:Readme, '(?ms)^## Zero-copy pipelines\s*\n(.*?)^## ').Groups[1].Value
        $examples = @([regex]::Matches($section, '(?ms)^```powershell\s*\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value })
        $examples.Count | Should -Be 3
        $script = ($examples -join "`n").
        Replace('1..1024', '1..4').
        Replace('9400', [string](Get-FreeTcpPort))
        Push-Location $TestDrive
        try { $output = & ([scriptblock]::Create($script)) }
        finally { Pop-Location }

        $output | Should -Not -BeNullOrEmpty
        $backup = (Get-FileHash "$TestDrive/backup.tar").Hash
        1..3 | ForEach-Object { (Get-FileHash "$TestDrive/disk$_/backup.tar").Hash | Should -Be $backup }
        (Get-Item "$TestDrive/random-1g.bin").Length | Should -Be 4MB
        (Get-FileHash "$TestDrive/received.bin").Hash | Should -Be (Get-FileHash "$TestDrive/random-1g.bin").Hash
    }

    It 'has a Benchmarks section and names its licence' {
        $script:Readme | Should -Match '(?m)^## Benchmarks'
        $script:Readme | Should -Match '(?m)^## Licence'
        Join-Path $PSScriptRoot '../../LICENSE' | Should -FileContentMatch 'MIT License'
    }
}
