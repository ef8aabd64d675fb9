#Requires -Version 7.4
<#
.SYNOPSIS
    Turns docs/*.md (platyPS schema) into the help Get-Help reads: en-US/SpliceModule.dll-Help.xml
    (MAML, one command:command per cmdlet page) and en-US/about_*.help.txt (about topics).
.DESCRIPTION
    platyPS's New-ExternalHelp is used when platyPS is already importable here (it cannot be
    installed from the registries this project reaches); otherwise, or with -Converter Own,
    tools/HelpMarkdown.psm1 does the same job. Either way a page that breaks the schema fails
    the build with the page's name. build.ps1 calls this after laying out out/SpliceModule.
.EXAMPLE
    ./tools/Build-Help.ps1 -DocsPath ./docs -OutputPath ./out/SpliceModule
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [ValidateSet('Auto', 'PlatyPS', 'Own')] [string] $Converter = 'Auto'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$helpDir = Join-Path $OutputPath 'en-US'
New-Item -ItemType Directory -Path $helpDir -Force | Out-Null

$usePlatyPS = switch ($Converter) {
    'PlatyPS' { $true }
    'Own' { $false }
    default { [bool](Get-Module -ListAvailable -Name platyPS) }
}

if ($usePlatyPS) {
    Import-Module platyPS -ErrorAction Stop
    New-ExternalHelp -Path $DocsPath -OutputPath $helpDir -Force | Out-Null
    Write-Verbose "Help written by platyPS to $helpDir"
    return
}

Import-Module (Join-Path $PSScriptRoot 'HelpMarkdown.psm1') -Force
$files = @(Get-ChildItem -LiteralPath $DocsPath -Filter '*.md' -File | Sort-Object Name)
$pages = @(foreach ($file in $files | Where-Object Name -NotLike 'about_*') { Read-CommandHelpPage -Path $file.FullName })
foreach ($group in $pages | Group-Object HelpFile) {
    Write-MamlHelp -Page $group.Group -Path (Join-Path $helpDir $group.Name)
}
foreach ($about in $files | Where-Object Name -Like 'about_*') {
    $text = ConvertTo-AboutHelpText -Path $about.FullName
    Set-Content -LiteralPath (Join-Path $helpDir ($about.BaseName + '.help.txt')) -Value $text -NoNewline -Encoding utf8NoBOM
}
Write-Verbose "Help for $($pages.Count) cmdlets written to $helpDir"
