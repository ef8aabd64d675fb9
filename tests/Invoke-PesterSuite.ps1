<#
.SYNOPSIS
    Runs the Pester suite in this (fresh) pwsh against the built module and writes the counts
    as JSON for build.ps1, which adds them to the xunit counts.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string] $TestPath,
    # Colour codes in the output (build.ps1 asks for them only when its output is a console: the
    # output reaches it through a pipe, which Pester's own detection would take for a log).
    [switch] $Colour
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$env:SPLICEMODULE_TEST_MODULE = (Resolve-Path $ModulePath).Path

$config = New-PesterConfiguration
# Several test files may be given, separated by commas.
$config.Run.Path = if ($TestPath) { @($TestPath -split ',' | ForEach-Object Trim) } else { Join-Path $PSScriptRoot 'Pester' }
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Output.RenderMode = if ($Colour) { 'Ansi' } else { 'Plaintext' }
$config.TestResult.Enabled = $true
$config.TestResult.OutputPath = [IO.Path]::ChangeExtension($ResultPath, '.xml')
$config.TestResult.OutputFormat = 'NUnitXml'

$run = Invoke-Pester -Configuration $config
if ($null -eq $run) {
    # Pester reports some failures (a test path that does not exist) without a result: count them.
    [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } | ConvertTo-Json | Set-Content -Path $ResultPath
    exit 1
}
$failed = $run.FailedCount + $run.FailedBlocksCount + $run.FailedContainersCount
[pscustomobject]@{ Passed = $run.PassedCount; Failed = $failed; Skipped = $run.SkippedCount } |
    ConvertTo-Json | Set-Content -Path $ResultPath
