# The built manifest as a Gallery module needs it: it passes Test-ModuleManifest, names its
# cmdlets explicitly (exactly those the dll defines), and carries the PSData a package shows.

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    $script:ModuleBase = (Get-Module SpliceModule).ModuleBase
    $script:ManifestPath = Join-Path $script:ModuleBase 'SpliceModule.psd1'
    $script:Data = Import-PowerShellDataFile -LiteralPath $script:ManifestPath
    $script:Assembly = (Get-Command Copy-SpliceItem).ImplementingType.Assembly
}

Describe 'The built manifest' {
    It 'passes Test-ModuleManifest' {
        $Error.Clear()
        $info = Test-ModuleManifest -Path $script:ManifestPath -ErrorAction Continue
        $Error | Should -BeNullOrEmpty
        $info.Name | Should -Be 'SpliceModule'
        $info.RootModule | Should -Be 'SpliceModule.dll'
    }

    It 'has a version that matches the assembly and an entry in CHANGELOG.md' {
        $version = [version]$script:Data.ModuleVersion
        $assemblyVersion = $script:Assembly.GetName().Version
        "$($assemblyVersion.Major).$($assemblyVersion.Minor).$($assemblyVersion.Build)" | Should -Be $version.ToString(3)
        $changelog = Join-Path $PSScriptRoot '../../CHANGELOG.md'
        Get-Content -Raw $changelog | Should -Match "(?m)^## \[?$([regex]::Escape($version.ToString(3)))\]?"
    }

    It 'identifies the module: GUID, author, copyright and a description' {
        [guid]::Parse($script:Data.GUID) | Should -Not -Be ([guid]::Empty)
        $script:Data.Author | Should -Not -BeNullOrEmpty
        $script:Data.Copyright | Should -Match 'MIT'
        $script:Data.Description.Length | Should -BeGreaterThan 50
    }

    It 'runs on PowerShell 7.4 and later, Core edition only' {
        $script:Data.PowerShellVersion | Should -Be '7.4'
        @($script:Data.CompatiblePSEditions) | Should -Be @('Core')
    }

    It 'exports exactly the cmdlets the assembly defines, by name' {
        $defined = @($script:Assembly.GetExportedTypes() |
                Where-Object { $_.IsDefined([System.Management.Automation.CmdletAttribute], $false) -and -not $_.IsAbstract } |
                ForEach-Object {
                    $attribute = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
                    "$($attribute.VerbName)-$($attribute.NounName)"
                } | Sort-Object)
        @($script:Data.CmdletsToExport | Sort-Object) | Should -Be $defined
        $script:Data.CmdletsToExport | Should -Not -Contain '*'
        @((Get-Module SpliceModule).ExportedCmdlets.Keys | Sort-Object) | Should -Be $defined
    }

    It 'exports no functions, variables or aliases by wildcard' {
        foreach ($key in 'FunctionsToExport', 'VariablesToExport', 'AliasesToExport') {
            $script:Data.ContainsKey($key) | Should -BeTrue -Because "$key must be explicit"
            @($script:Data[$key]) | Should -Not -Contain '*'
        }
    }

    It 'loads its views from a format file that ships with it' {
        @($script:Data.FormatsToProcess) | Should -Be @('SpliceModule.format.ps1xml')
        Join-Path $script:ModuleBase 'SpliceModule.format.ps1xml' | Should -Exist
        Join-Path $script:ModuleBase 'en-US/SpliceModule.dll-Help.xml' | Should -Exist
    }

    It 'carries tags, licence, project and release notes for the package' {
        $psData = $script:Data.PrivateData.PSData
        $psData.Tags | Should -Contain 'Linux'
        $psData.Tags | Should -Contain 'PSEdition_Core'
        $psData.Tags | ForEach-Object { $_ | Should -Not -Match '\s' -Because 'package tags cannot hold spaces' }
        [uri]::IsWellFormedUriString($psData.LicenseUri, 'Absolute') | Should -BeTrue
        [uri]::IsWellFormedUriString($psData.ProjectUri, 'Absolute') | Should -BeTrue
        $psData.ReleaseNotes | Should -Match ([regex]::Escape(([version]$script:Data.ModuleVersion).ToString(3)))
    }
}
