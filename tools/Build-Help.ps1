#Requires -Version 7.4
<#
.SYNOPSIS
    Turns docs/*.md (platyPS schema) into the help Get-Help reads: en-US/SpliceModule.dll-Help.xml
    (MAML, one command:command per cmdlet page) and en-US/about_*.help.txt (about topics).
.DESCRIPTION
    Builds tools/HelpBuilder (Markdig and YamlDotNet, pinned in its project) quietly and runs it.
    It is the only converter: build.ps1 ships what it writes and the help tests check what it
    reads, on every machine. A page that breaks the schema fails with every problem as
    "Page.md:line: message", and nothing is written.
.PARAMETER DocsPath
    The folder of the markdown pages.
.PARAMETER OutputPath
    The module folder; the help goes to its en-US/ subfolder.
.PARAMETER ModelPath
    Also writes the pages as read, as JSON (for the help tests).
.PARAMETER NoBuild
    Runs the builder built last time instead of building it first.
.EXAMPLE
    ./tools/Build-Help.ps1 -DocsPath ./docs -OutputPath ./out/SpliceModule
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $DocsPath,
    [string] $OutputPath,
    [string] $ModelPath,
    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Get-FullPath([string] $Path) { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path) }

if (-not ($OutputPath -or $ModelPath)) { throw 'Build-Help.ps1 needs -OutputPath, -ModelPath or both.' }
$project = Join-Path $PSScriptRoot 'HelpBuilder/HelpBuilder.csproj'
if (-not (Test-Path -LiteralPath $project -PathType Leaf)) { throw "The help builder '$project' is missing." }
$docs = Get-FullPath $DocsPath
if (-not (Test-Path -LiteralPath $docs -PathType Container)) { throw "The docs folder '$docs' is missing." }

if ($NoBuild) {
    $builder = Get-ChildItem -Path (Join-Path $PSScriptRoot 'HelpBuilder/bin/Release/*/HelpBuilder.dll') -ErrorAction Ignore |
        Sort-Object LastWriteTimeUtc | Select-Object -Last 1 -ExpandProperty FullName
    if (-not $builder) { throw "The help builder is not built; run Build-Help.ps1 without -NoBuild." }
}
else {
    # -getProperty makes msbuild print nothing but the built assembly's path (and any errors).
    $log = @(& dotnet msbuild $project -restore -t:Build -p:Configuration=Release -nologo -v:quiet -getProperty:TargetPath 2>&1 | ForEach-Object { "$_" })
    if ($LASTEXITCODE -ne 0) { throw "Building the help builder failed:`n$($log -join "`n")" }
    $builder = $log[-1].Trim()
}

$arguments = @('--docs', $docs)
if ($OutputPath) { $arguments += @('--out', (Get-FullPath $OutputPath)) }
if ($ModelPath) { $arguments += @('--model', (Get-FullPath $ModelPath)) }
$messages = @(& dotnet exec $builder @arguments 2>&1 | ForEach-Object { "$_" })
if ($LASTEXITCODE -eq 1) {
    throw "The help pages in '$docs' break the platyPS schema; no help was written:`n$(($messages | ForEach-Object { "  $_" }) -join "`n")"
}
if ($LASTEXITCODE -ne 0) { throw "The help builder failed (exit code $LASTEXITCODE):`n$($messages -join "`n")" }
$messages | ForEach-Object { Write-Verbose $_ }
