<#
.SYNOPSIS
    Lists the lines of a build or test log that a quiet run must not print: compiler and MSBuild
    warnings, MSBuild's summary, "What if:" lines leaked by tests, "Broken pipe" messages of
    helpers cut off, and with -Plain (output that was redirected) any ANSI escape sequence.
    Prints nothing for a clean log. build.ps1 -Task Test runs it on out/test-results/test-run.log.
.EXAMPLE
    pwsh -NoProfile -File tools/Test-QuietLog.ps1 -Path out/test-results/test-run.log -Plain
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Path,
    # The output went to a file or pipe, where colour codes are noise.
    [switch] $Plain
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$noise = @(
    ':\s+warning\s+[A-Za-z]+[0-9]+\s*:'   # compiler and analyzer warnings (CS8602, xUnit1031, ...)
    '\bwarning\s+MSB[0-9]+\b'              # MSBuild's own
    '^\s*Build succeeded\.?\s*$'           # the summary `dotnet build` prints at any verbosity
    '^\s*[0-9]+ Warning\(s\)\s*$'
    '^What if: '                           # ShouldProcess output of a -WhatIf test, leaked to the host
    'Broken pipe'                          # a helper process that wrote after its reader left
)
if ($Plain) { $noise += "`e\[" }           # an ANSI escape sequence

$index = 0
foreach ($line in [IO.File]::ReadLines((Resolve-Path -LiteralPath $Path).Path)) {
    $index++
    foreach ($pattern in $noise) {
        if ($line -cmatch $pattern) {
            "${index}: $($line -replace "`e", '\e')"
            break
        }
    }
}
